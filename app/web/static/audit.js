/* The audit log (commanders, administrators): newest first, a page at a time, filtered by action.
   Times are shown in the workspace's time zone (the browser's own when that zone is unknown to
   it); details as compact JSON, long ones folded. Everything from the log is escaped (PN.esc). */
(function () {
  "use strict";
  var t = PN.t, esc = PN.esc, cfg = PN.cfg;
  var listEl = document.getElementById("pn-audit-list");
  var msgEl = document.getElementById("pn-audit-msg");
  var actionEl = document.getElementById("pn-audit-action");
  var sizeEl = document.getElementById("pn-audit-size");
  /* a pager above the table and one below it */
  var prevEls = document.querySelectorAll('[data-page="prev"]'), nextEls = document.querySelectorAll('[data-page="next"]');
  var rangeEls = document.querySelectorAll(".pn-audit-range");
  function pager(prevOff, nextOff, range) {
    prevEls.forEach(function (b) { b.disabled = prevOff; });
    nextEls.forEach(function (b) { b.disabled = nextOff; });
    if (range !== undefined) rangeEls.forEach(function (r) { r.textContent = range; });
  }
  var SHORT = 90;  // characters of details shown before folding
  var LONG_TARGET = 60;  // a longer target is cut in the middle (its end is usually the file name)
  var labels = {};
  (cfg.actions || []).forEach(function (a) { labels[a.code] = a.label; });

  /* times in the workspace's time zone (the browser's own when that zone is unknown to it) */
  var fmtTime = PN.timeFormatter(cfg.timezone, true), tz = fmtTime.zone, tzOk = !!tz;

  /* state, kept in the address (so that reload and back keep the page) */
  var q = new URLSearchParams(location.search);
  var state = {action: q.get("action") || "", offset: Math.max(0, parseInt(q.get("offset"), 10) || 0),
               limit: parseInt(q.get("limit"), 10) || parseInt(sizeEl.value, 10) || 50};
  if (labels[state.action] === undefined) state.action = "";
  if ([25, 50, 100, 200].indexOf(state.limit) < 0) state.limit = 50;
  actionEl.value = state.action;
  sizeEl.value = String(state.limit);
  function remember() {
    var p = new URLSearchParams(location.search);
    ["action", "offset", "limit"].forEach(function (k) {
      if (state[k] && !(k === "limit" && state[k] === 50)) p.set(k, state[k]); else p.delete(k);
    });
    var s = p.toString();
    history.replaceState(null, "", location.pathname + (s ? "?" + s : ""));
  }

  function details(d) {
    if (!d || (typeof d === "object" && !Object.keys(d).length)) return "";
    var compact = JSON.stringify(d);
    if (compact.length <= SHORT) return '<code class="pn-json">' + esc(compact) + "</code>";
    return '<details class="pn-json"><summary><code>' + esc(compact.slice(0, SHORT)) + "…</code></summary>" +
      "<pre>" + esc(JSON.stringify(d, null, 2)) + "</pre></details>";
  }
  function target(s) {
    s = String(s === null || s === undefined ? "" : s);
    if (s.length <= LONG_TARGET) return esc(s);
    return '<details class="pn-json pn-long"><summary>' + esc(s.slice(0, 12) + "…" + s.slice(-22)) + "</summary>" +
      "<pre>" + esc(s) + "</pre></details>";
  }
  function row(e) {
    return '<tr data-id="' + esc(e.id) + '" data-action="' + esc(e.action) + '">' +
      '<td class="pn-time" title="' + esc(e.at_utc) + ' UTC">' + esc(fmtTime(e.at_utc)) + "</td>" +
      '<td class="pn-actor">' + esc(e.actor) + "</td>" +
      '<td title="' + esc(e.action) + '">' + esc(labels[e.action] || e.action) + "</td>" +
      '<td class="pn-target">' + target(e.target) + "</td>" +
      '<td class="pn-details">' + details(e.details) + "</td></tr>";
  }
  function render(entries) {
    if (!entries.length) {
      listEl.innerHTML = '<p class="pn-sub" id="pn-audit-empty">' + esc(t("audit.none")) + "</p>";
      return;
    }
    var head = [["time", t("audit.col.time", {tz: tzOk ? tz : t("audit.local_time")})], ["actor", t("audit.col.actor")],
                ["action", t("audit.col.action")], ["target", t("audit.col.target")], ["details", t("audit.col.details")]];
    listEl.innerHTML = '<table class="pn-table pn-audit" id="pn-audit"><colgroup>' +
      head.map(function (h) { return '<col class="pn-col-' + h[0] + '">'; }).join("") + "</colgroup><thead><tr>" +
      head.map(function (h) { return "<th>" + esc(h[1]) + "</th>"; }).join("") + "</tr></thead><tbody>" +
      entries.map(row).join("") + "</tbody></table>";
  }

  var seq = 0;
  function load() {
    var mine = ++seq;
    remember();
    pager(true, true);
    listEl.setAttribute("aria-busy", "true");
    // one more than a page: whether there is a next page
    return PN.json(PN.url("/api/v1/audit", {limit: state.limit + 1, offset: state.offset, action: state.action}))
      .then(function (d) {
        if (mine !== seq) return;
        msgEl.innerHTML = "";
        var more = d.entries.length > state.limit, entries = d.entries.slice(0, state.limit);
        if (!entries.length && state.offset > 0) { state.offset = Math.max(0, state.offset - state.limit); return load(); }
        render(entries);
        pager(state.offset === 0, !more,
              entries.length ? t("audit.range", {from: state.offset + 1, to: state.offset + entries.length}) : "");
        document.getElementById("pn-audit-pager").hidden = entries.length < 15;
        listEl.setAttribute("data-offset", String(state.offset));
        listEl.removeAttribute("aria-busy");
      }, function (e) {
        if (mine !== seq) return;
        if (e && e.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); return; }
        msgEl.innerHTML = '<div class="pn-error">' + esc(t("audit.failed", {msg: e.message})) + "</div>";
        listEl.removeAttribute("aria-busy");
        pager(state.offset === 0, true);
      });
  }

  actionEl.addEventListener("change", function () { state.action = actionEl.value; state.offset = 0; load(); });
  sizeEl.addEventListener("change", function () { state.limit = parseInt(sizeEl.value, 10) || 50; state.offset = 0; load(); });
  document.getElementById("pn-audit-form").addEventListener("submit", function (ev) { ev.preventDefault(); });
  prevEls.forEach(function (b) { b.addEventListener("click", function () { state.offset = Math.max(0, state.offset - state.limit); load(); }); });
  nextEls.forEach(function (b) { b.addEventListener("click", function () { state.offset += state.limit; load(); }); });
  load();
})();
