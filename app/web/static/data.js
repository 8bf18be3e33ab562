/* Data import: upload with the layer and coordinate choice, then the per-row report. */
(function () {
  "use strict";
  var cfg = PN.cfg, t = PN.t;
  var form = document.getElementById("pn-import-form");
  var status = document.getElementById("pn-import-status"), out = document.getElementById("pn-import-result");
  function rejected(r) {
    if (!r.rejected_rows_table || !r.rejected_rows_table.length) return "";
    return "<h3>" + PN.esc(t("data.rejected", {n: r.rejected_rows_table.length})) + "</h3>" +
      '<div class="pn-scroll">' + PN.table([
        {key: "row", label: t("data.row"), num: true}, {key: "column", label: t("data.column")},
        {key: "value", label: t("data.value")},
        /* the reason in the page's language (reason_text); the English reason for an older result */
        {key: "reason_text", label: t("data.reason"), value: function (x) { return x.reason_text || x.reason; }}
      ], r.rejected_rows_table, {id: "pn-rejected"}) + "</div>";
  }
  function report(job) {
    var r = job.result || {}, files = {};
    job.files.forEach(function (f) { files[f.name] = f.href; });
    var head = job.status === "done"
      ? t("data.result", {rows: PN.fmt(r.rows_read), accepted: PN.fmt(r.accepted), rejected: PN.fmt(r.rejected), layer: r.layer, total: PN.fmt(r.layer_features)})
      : t("data.failed_rows", {rejected: PN.fmt(r.rejected || 0)});
    var h = '<p id="pn-import-summary" data-status="' + job.status + '">' + PN.esc(head) + "</p>";
    if (job.error) h += '<p class="pn-error">' + PN.esc(job.message || job.error) + "</p>";
    if (r.report && files[r.report]) h += '<p><a class="pn-btn secondary" id="pn-report" download href="' + files[r.report] + '">' + PN.esc(t("data.report")) + "</a></p>";
    out.innerHTML = h + rejected(r);
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var file = document.getElementById("pn-file").files[0];
    out.innerHTML = "";
    if (file && file.size > cfg.max_upload_bytes) {
      status.innerHTML = '<span class="pn-error">' + PN.esc(document.getElementById("pn-max").textContent) + "</span>";
      return;
    }
    status.textContent = t("data.uploading");
    var btn = document.getElementById("pn-import");
    btn.disabled = true;
    PN.fetch(PN.url("/api/v1/imports"), {method: "POST", body: new FormData(form)}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, status: r.status, body: body}; });
    }).then(function (res) {
      status.textContent = "";
      if (res.body && res.body.kind === "import") report(res.body);
      else status.innerHTML = '<span class="pn-error">' + PN.esc(res.status + ": " + PN.detail(res.body)) + "</span>";
    }).catch(function (e) { status.innerHTML = '<span class="pn-error">' + PN.esc(e.message) + "</span>"; })
      .then(function () { btn.disabled = false; });
  });

  /* incident categories: the built-in ones and the workspace's own (added by a job that writes the workspace) */
  var cats = document.getElementById("pn-categories"), catForm = document.getElementById("pn-category-form");
  var catStatus = document.getElementById("pn-category-status");
  function loadCategories() {
    return PN.json(PN.url("/api/v1/workspace/categories")).then(function (body) {
      cats.innerHTML = PN.table([
        {key: "code", label: t("data.cat_code_short")}, {key: "label", label: t("data.cat_name")},
        {key: "group_label", label: t("data.cat_group_short")}, {key: "incidents", label: t("data.cat_incidents"), num: true},
        {key: "builtin", label: "", value: function (x) { return x.builtin ? t("data.cat_builtin") : t("data.cat_added"); }}
      ], body.categories, {id: "pn-category-table"});
      cats.setAttribute("data-count", String(body.categories.length));
    }).catch(function (e) { cats.innerHTML = '<span class="pn-error">' + PN.esc(e.message) + "</span>"; });
  }
  catForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var btn = document.getElementById("pn-cat-add"), bar = PN.progress(catStatus);
    var params = {action: "add", code: catForm.code.value.trim(), zh: catForm.zh.value.trim(), en: catForm.en.value.trim(),
                  group: catForm.group.value};
    btn.disabled = true;
    PN.runJob("categories", params, bar.update).then(function () { catForm.reset(); return loadCategories(); })
      .catch(function (e) { bar.fail(e.message); })
      .then(function () { btn.disabled = false; });
  });
  loadCategories();
})();
