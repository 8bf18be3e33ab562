/* Camera gaps: run the gap analysis, list the ranked gaps, show them and the cameras on the map,
   download the full list (CSV, XLSX, GeoJSON). */
(function () {
  "use strict";
  var cfg = PN.cfg, t = PN.t;
  var map = PN.map("pn-map");
  window.pnMap = map;
  var outline = L.geoJSON(null, {style: {color: "#90a4ae", weight: 1.2, fill: false}, interactive: false}).addTo(map);
  var cams = L.featureGroup().addTo(map), gaps = L.featureGroup().addTo(map);
  PN.stack(map, [outline, cams, gaps]);
  if (PN.has("stations")) {
    PN.layer("stations", PN.cfg.requests.outlines.stations).then(function (fc) { outline.addData(fc); PN.stack(map); });
  }
  var ctl = L.control.layers(null, {}, {collapsed: false}).addTo(map);
  ctl.addOverlay(cams, t("cov.cameras")); ctl.addOverlay(gaps, t("cam.suggest"));
  var kindColor = {road_segment: "#e65100", entrance: "#c2185b", hotspot_cell: "#6a1b9a"};
  PN.legend(map, t("legend"), [[t("cov.cameras"), "#1565c0", "dot"], [t("gap.road_segment"), kindColor.road_segment, "dot"],
    [t("gap.entrance"), kindColor.entrance, "dot"], [t("gap.hotspot_cell"), kindColor.hotspot_cell, "dot"],
    [t("cam.site_title"), "#66bb6a", "dot"]]);
  if (PN.has("cameras")) {
    PN.layer("cameras", {properties: "kind"}).then(function (fc) {
      L.geoJSON(fc, {pointToLayer: function (f, ll) {
        return L.circleMarker(ll, {radius: 2.5, weight: 0.5, color: "#fff", fillColor: "#1565c0", fillOpacity: 0.9});
      }}).addTo(cams);
      PN.stack(map);
    });
  }
  if (!cfg.available) return;

  function show(job) {
    var r = job.result, files = {};
    document.getElementById("pn-cam-recorded").innerHTML = "";  /* showRecorded fills it after */
    job.files.forEach(function (f) { files[f.name] = f.href; });
    document.getElementById("pn-cam-summary").textContent = t("cam.summary", {cameras: r.cameras, gaps: r.gaps.toLocaleString()}) +
      " · " + Object.keys(r.by_kind).map(function (k) { return t("gap." + k) + " " + r.by_kind[k].toLocaleString(); }).join(" · ");
    document.getElementById("pn-cam-downloads").innerHTML = [["CSV", r.csv], ["XLSX", r.xlsx], ["GeoJSON", r.geojson]]
      .filter(function (l) { return files[l[1]]; })
      .map(function (l) { return '<a class="pn-btn secondary" download href="' + files[l[1]] + '">' + t("download") + " " + l[0] + "</a>"; }).join("");
    document.getElementById("pn-cam-table").innerHTML = '<p class="pn-sub">' + PN.esc(t("cam.shown", {n: r.top.length})) + "</p>" +
      '<div class="pn-scroll">' + PN.table([
        {key: "rank", label: t("cam.rank"), num: true},
        {key: "kind", label: t("cam.kind"), value: function (g) { return t("gap." + g.kind); }},
        {key: "road_name", label: t("cam.where"), value: function (g) { return g.road_name || g.neighborhood_name || g.neighborhood_id || g.station_name || PN.nameOf("stations", g.station_id); }},
        {key: "incidents_12m", label: t("cam.incidents"), num: true},
        {key: "seen_share", label: t("cam.seen"), num: true, value: function (g) { return g.seen_share === null ? null : Math.round(g.seen_share * 100) + "%"; }}
      ], r.top, {id: "pn-gaps-table"}) + "</div>";
    gaps.clearLayers();
    r.top.forEach(function (g) {
      if (g.suggest_lat === null || g.suggest_lon === null) return;
      L.circleMarker([g.suggest_lat, g.suggest_lon], {radius: 5, weight: 1.5, color: "#fff", fillColor: kindColor[g.kind] || "#333", fillOpacity: 1})
        .bindTooltip("#" + g.rank + " " + PN.esc(t("gap." + g.kind)) + " · " + PN.esc(g.road_name || g.neighborhood_name || g.neighborhood_id || "") +
          "<br>" + t("cam.incidents") + " " + g.incidents_12m + " · " + PN.esc(g.suggest_kind) + " " + PN.fmt(g.suggest_bearing_deg, 0) + "°")
        .addTo(gaps);
    });
    PN.stack(map);
    document.getElementById("pn-map").setAttribute("data-gaps", gaps.getLayers().length);
  }
  var btn = document.getElementById("pn-cam-run");
  btn.addEventListener("click", function () {
    var bar = PN.progress(document.getElementById("pn-cam-job"));
    btn.disabled = true;
    PN.runJob("camera_gaps", {}, bar.update).then(show).catch(function (e) { bar.fail(e.message); })
      .then(function () { btn.disabled = false; });
  });
  /* siting: where K new cameras add the most risk-weighted coverage (existing cameras kept) */
  var sites = L.featureGroup().addTo(map);
  ctl.addOverlay(sites, t("cam.site_title"));
  function showSites(job) {
    var r = job.result, files = {}, f = r.figures || {};
    document.getElementById("pn-site-recorded").innerHTML = "";
    job.files.forEach(function (x) { files[x.name] = x.href; });
    document.getElementById("pn-site-summary").textContent = t("cam.site_summary", {
      n: r.sites.length, share: Math.round((f.covered_share || 0) * 1000) / 10, method: f.method || "", status: f.status || ""});
    var worth = document.getElementById("pn-site-worth");
    if (worth) { worth.textContent = f.worth ? f.worth.line : ""; worth.title = f.worth ? f.worth.sources.join("\n") : ""; }
    document.getElementById("pn-site-downloads").innerHTML = [["CSV", r.csv], ["XLSX", r.xlsx], ["GeoJSON", r.geojson]]
      .filter(function (l) { return files[l[1]]; })
      .map(function (l) { return '<a class="pn-btn secondary" download href="' + files[l[1]] + '">' + t("download") + " " + l[0] + "</a>"; }).join("");
    document.getElementById("pn-site-table").innerHTML = '<div class="pn-scroll">' + PN.table([
      {key: "order", label: "#", num: true},
      {key: "road_name", label: t("cam.where"), value: function (s) { return s.road_name || PN.nameOf("stations", s.station_id); }},
      {key: "marginal_gain", label: t("cam.site_gain"), num: true, value: function (s) { return PN.fmt(s.marginal_gain, 2); }},
      {key: "cumulative_share", label: t("cam.site_cum"), num: true, value: function (s) { return Math.round(s.cumulative_share * 1000) / 10 + "%"; }}
    ], r.sites, {id: "pn-sites-table"}) + "</div>";
    sites.clearLayers();
    r.sites.forEach(function (s) {
      L.circleMarker([s.lat, s.lon], {radius: 6, weight: 2, color: "#1b5e20", fillColor: "#66bb6a", fillOpacity: 1})
        .bindTooltip("#" + s.order + " " + PN.esc(s.road_name || PN.nameOf("stations", s.station_id)) + " · +" + PN.fmt(s.marginal_gain, 2)).addTo(sites);
    });
    PN.stack(map);
    document.getElementById("pn-map").setAttribute("data-sites", sites.getLayers().length);
  }
  var siteBtn = document.getElementById("pn-site-run");
  siteBtn.addEventListener("click", function () {
    var bar = PN.progress(document.getElementById("pn-site-job"));
    siteBtn.disabled = true;
    var k = parseInt(document.getElementById("pn-site-k").value, 10) || 20;
    PN.runJob("camera_site", {add: k}, bar.update).then(showSites).catch(function (e) { bar.fail(e.message); })
      .then(function () { siteBtn.disabled = false; });
  });
  /* No finished job of this server (e.g. after a restart): the latest output on record (kept beside the
     workspace; a station user gets its own station's), its time, author and files, and the 5 before it. */
  var when = PN.timeFormatter(cfg.timezone);
  function recFiles(rec) {
    return (rec.actions && rec.actions.download ? rec.downloads : []).map(function (f) { return {name: f.name, href: PN.url(f.href)}; });
  }
  function showRecorded(kind, boxId, what, draw) {
    var box = document.getElementById(boxId);
    return PN.json(PN.url("/api/v1/records", {kind: kind, limit: 6})).then(function (d) {
      box.setAttribute("data-loaded", "1");
      if (!d.records.length) return false;
      var rec = d.records[0];
      draw({result: rec.result || {}, files: recFiles(rec)});
      var h = '<p class="pn-sub pn-rec-meta" data-id="' + PN.esc(rec.id) + '">' +
        PN.esc(t("rec.latest", {when: when(rec.created_at), author: rec.author}) + " · " + what(rec)) + "</p>";
      var earlier = d.records.slice(1);
      if (earlier.length) {
        h += "<details class=\"pn-rec-earlier\"><summary>" + PN.esc(t("rec.earlier")) + " (" + earlier.length + ')</summary><table class="pn-table"><tbody>' +
          earlier.map(function (r) {
            return '<tr data-id="' + PN.esc(r.id) + '"><td>' + PN.esc(when(r.created_at)) + "</td><td>" + PN.esc(r.author) + "</td><td>" +
              PN.esc(what(r)) + "</td><td>" + recFiles(r).map(function (f) {
                return '<a download href="' + PN.esc(f.href) + '" title="' + PN.esc(f.name) + '">' + PN.esc(f.name.split(".").pop()) + "</a>";
              }).join(" ") + "</td></tr>";
          }).join("") + "</tbody></table></details>";
      }
      box.innerHTML = h;
      return true;
    });
  }
  function gapsOf(rec) { var n = rec.result && rec.result.gaps; return t("rec.gaps", {gaps: n === undefined || n === null ? "?" : n.toLocaleString()}); }
  function sitesOf(rec) { return t("rec.sites", {n: rec.result && rec.result.sites ? rec.result.sites.length : 0}); }
  PN.json(PN.url("/api/v1/jobs", {kind: "camera_site", status: "done", limit: 1})).then(function (d) {
    if (d.jobs.length) return showSites(d.jobs[0]);
    return showRecorded("camera_siting", "pn-site-recorded", sitesOf, showSites);
  });
  PN.json(PN.url("/api/v1/jobs", {kind: "camera_gaps", status: "done", limit: 1})).then(function (d) {
    if (d.jobs.length) return show(d.jobs[0]);
    return showRecorded("camera_gaps", "pn-cam-recorded", gapsOf, show).then(function (found) {
      if (!found) document.getElementById("pn-cam-summary").textContent = t("cam.none_yet");
    });
  });
})();
