/* Monthly reports: make one (a report job) and list the ones made, with their files. */
(function () {
  "use strict";
  var t = PN.t;
  var list = document.getElementById("pn-report-list");
  function pct(v) { return v === null || v === undefined ? "" : (v > 0 ? "+" : "") + (v * 100).toFixed(1) + "%"; }
  function links(files, r) {
    var byName = {};
    files.forEach(function (f) { byName[f.name] = f.href; });
    var h = "";
    if (byName[r.html]) h += '<a class="pn-btn" target="_blank" href="' + byName[r.html] + '">' + PN.esc(t("rep.open")) + "</a> ";
    [["xlsx", "XLSX"], ["json", "JSON"]].forEach(function (k) {
      if (r[k[0]] && byName[r[k[0]]]) h += '<a class="pn-btn secondary" download href="' + byName[r[k[0]]] + '">' + k[1] + "</a> ";
    });
    var csv = files.filter(function (f) { return /\.csv$/.test(f.name); });
    if (csv.length) h += '<details style="margin-top:6px"><summary>CSV (' + csv.length + ")</summary>" +
      csv.map(function (f) { return '<a download href="' + f.href + '">' + PN.esc(f.name) + "</a>"; }).join("<br>") + "</details>";
    return '<div class="pn-downloads">' + h + "</div>";
  }
  function resultHtml(r, files, heading) {
    if (r.half) return halfHtml(r, files, heading);
    var h = "<" + heading + ">" + PN.esc(t("rep.made_one", {month: r.month})) + "</" + heading + ">" + PN.table([
      {key: "label", label: t("rep.measure")},
      {key: "month", label: r.month, num: true},
      {key: "month_last_year", label: t("rep.last_year"), num: true},
      {key: "yoy_change", label: t("rep.yoy"), num: true, value: function (x) { return pct(x.yoy_change); }},
      {key: "ytd", label: t("rep.ytd"), num: true},
      {key: "ytd_last_year", label: t("rep.ytd_last_year"), num: true},
      {key: "ytd_yoy_change", label: t("rep.yoy"), num: true, value: function (x) { return pct(x.ytd_yoy_change); }}
    ], r.headline || [], {id: heading === "h2" ? "pn-report-headline" : "pn-report-latest-headline"});
    if (r.notes && r.notes.length) h += '<p class="pn-sub">' + r.notes.map(PN.esc).join("<br>") + "</p>";
    return h + links(files, r);
  }
  /* A half-year station report: the stations ranked, each against the same half a year before. */
  function halfHtml(r, files, heading) {
    var h = "<" + heading + ">" + PN.esc(t("rep.made_half", {half: r.half})) + "</" + heading + ">" + PN.table([
      {key: "rank", label: t("rep.rank"), num: true},
      {key: "name", label: t("rep.station")},
      {key: "cases", label: t("rep.cases"), num: true},
      {key: "half_last_year", label: t("rep.last_year"), num: true},
      {key: "yoy_change", label: t("rep.yoy"), num: true, value: function (x) { return pct(x.yoy_change); }}
    ], r.stations || [], {id: heading === "h2" ? "pn-report-stations" : "pn-report-latest-stations"});
    if (r.notes && r.notes.length) h += '<p class="pn-sub">' + r.notes.map(PN.esc).join("<br>") + "</p>";
    return h + links(files, r);
  }
  function showResult(job) {
    document.getElementById("pn-report-result").innerHTML = resultHtml(job.result, job.files, "h2");
  }
  /* No report made by this server (e.g. after a restart): the latest report on record (kept beside
     the workspace; a station user gets its own station's) with its files, and the 5 before it. */
  var when = PN.timeFormatter(PN.cfg.timezone), recorded = document.getElementById("pn-report-recorded");
  function monthOf(rec) {
    var p = rec.params || {}, r = rec.result || {};
    return p.month || p.half || r.month || r.half || "";
  }
  function recFiles(rec) { return rec.actions && rec.actions.download ? rec.downloads : []; }
  function shortLinks(rec) {
    return recFiles(rec).map(function (f) {
      return '<a href="' + PN.esc(PN.url(f.href)) + '" title="' + PN.esc(f.name) + '"' + (/\.html$/.test(f.name) ? ' target="_blank"' : " download") + ">" +
        PN.esc(f.name.split(".").pop()) + "</a>";
    }).join(" ");
  }
  function showRecorded() {
    return PN.json(PN.url("/api/v1/records", {kind: "report", limit: 6})).then(function (d) {
      recorded.setAttribute("data-loaded", "1");
      if (!d.records.length) { recorded.innerHTML = ""; return; }
      list.innerHTML = "";
      var rec = d.records[0], files = recFiles(rec).map(function (f) { return {name: f.name, href: PN.url(f.href)}; });
      var h = '<div id="pn-report-latest" data-id="' + PN.esc(rec.id) + '" data-month="' + PN.esc(monthOf(rec)) + '">' +
        '<p class="pn-sub pn-rec-meta">' + PN.esc(t("rec.latest", {when: when(rec.created_at), author: rec.author})) + "</p>" +
        resultHtml(rec.result || {}, files, "h3") + "</div>";
      var earlier = d.records.slice(1);
      if (earlier.length) {
        h += "<h3>" + PN.esc(t("rec.earlier")) + '</h3><table class="pn-table" id="pn-report-earlier"><thead><tr>' +
          ["rec.when", "rec.author", "rep.month_col", "rec.files"].map(function (k) { return "<th>" + PN.esc(t(k)) + "</th>"; }).join("") +
          "</tr></thead><tbody>" + earlier.map(function (r) {
            return '<tr data-id="' + PN.esc(r.id) + '"><td>' + PN.esc(when(r.created_at)) + "</td><td>" + PN.esc(r.author) + "</td><td>" +
              PN.esc(monthOf(r)) + "</td><td>" + shortLinks(r) + "</td></tr>";
          }).join("") + "</tbody></table>";
      }
      recorded.innerHTML = h;
    }).catch(function (e) { recorded.innerHTML = '<p class="pn-note">' + PN.esc(e.message) + "</p>"; });
  }
  function refresh() {
    return PN.json(PN.url("/api/v1/reports", {limit: 20})).then(function (d) {
      if (!d.reports.length) {
        list.innerHTML = '<p class="pn-sub">' + PN.esc(t("rep.none")) + "</p>";
        return showRecorded();
      }
      recorded.innerHTML = "";
      list.innerHTML = '<table class="pn-table" id="pn-reports"><thead><tr><th>' + PN.esc(t("rep.month_col")) + "</th><th>" +
        PN.esc(t("rep.lang_col")) + "</th><th>" + PN.esc(t("rep.made_at")) + "</th><th></th></tr></thead><tbody>" +
        d.reports.map(function (r) {
          return "<tr><td>" + PN.esc(r.month || r.half || "") + "</td><td>" + PN.esc(r.lang) + "</td><td>" + PN.esc(r.created_at.replace("T", " ").substr(0, 16)) +
            "</td><td>" + links(r.files, r) + "</td></tr>";
        }).join("") + "</tbody></table>";
    });
  }
  var form = document.getElementById("pn-report-form");
  if (form) form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var btn = document.getElementById("pn-report-run"), bar = PN.progress(document.getElementById("pn-report-job"));
    btn.disabled = true;
    var period = document.getElementById("pn-month").value, params = {lang: document.getElementById("pn-report-lang").value};
    params[/-H[12]$/.test(period) ? "half" : "month"] = period;
    PN.runJob("report", params, bar.update)
      .then(function (job) { showResult(job); return refresh(); })
      .catch(function (e) { bar.fail(e.message); })
      .then(function () { btn.disabled = false; });
  });
  refresh();

  /* one station's own monthly report (GET /api/v1/reports/station): the station and the month
     chosen above (a half-year chosen: the last full month), in the report's language */
  var station = document.getElementById("pn-report-station");
  if (station) {
    var names = (PN.cfg.names && PN.cfg.names.stations) || {};
    station.innerHTML = Object.keys(names).sort().map(function (id) {
      return '<option value="' + PN.esc(id) + '">' + PN.esc(names[id]) + "</option>";
    }).join("");
    var monthSel = document.getElementById("pn-month"), langSel = document.getElementById("pn-report-lang");
    var stationLink = function () {
      var m = monthSel && /^\d{4}-\d{2}$/.test(monthSel.value) ? monthSel.value : (PN.cfg.default_month || "");
      var base = "/api/v1/reports/station?station_id=" + encodeURIComponent(station.value) +
        (m ? "&month=" + encodeURIComponent(m) : "") + "&lang=" + encodeURIComponent(langSel ? langSel.value : PN.cfg.lang);
      document.getElementById("pn-station-report-open").href = base + "&format=html";
      document.getElementById("pn-station-report-xlsx").href = base + "&format=xlsx";
    };
    [station, monthSel, langSel].forEach(function (el) { if (el) el.addEventListener("change", stationLink); });
    stationLink();
  }
})();
