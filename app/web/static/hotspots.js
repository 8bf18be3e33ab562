/* Hotspot map: density heat (leaflet.heat), Gi* sub-zone choropleth, forecast risk; filters re-run
   the hotspots job through the API; click a sub-zone for its figures. */
(function () {
  "use strict";
  var cfg = PN.cfg, t = PN.t;
  var map = PN.map("pn-map");
  window.pnMap = map;
  var form = document.getElementById("pn-hot-form");
  var from = document.getElementById("pn-from"), to = document.getElementById("pn-to");
  var cat = document.getElementById("pn-category");
  from.value = cfg.default_from || "";
  to.value = cfg.default_to || "";
  (cfg.categories || []).forEach(function (c) {
    var o = document.createElement("option");
    o.value = c.code; o.textContent = (c.group ? "■ " : "　") + c.label;
    cat.appendChild(o);
  });
  cat.value = cfg.default_category || "";
  /* what a result was asked for, said beside it: the category (or all) and the period */
  function catLabel(codes) {
    if (!codes || codes === "all" || !codes.length) return t("hot.all");
    var names = {};
    (cfg.categories || []).forEach(function (c) { names[c.code] = c.label; });
    return [].concat(codes).map(function (c) { return names[c] || c; }).join("、");
  }

  var outline = L.geoJSON(null, {style: {color: "#37474f", weight: 1.5, fill: false}, interactive: false}).addTo(map);
  if (PN.has("stations")) {
    PN.layer("stations", PN.cfg.requests.outlines.stations).then(function (fc) { outline.addData(fc); PN.stack(map); });
  }
  var heat = L.heatLayer([], {radius: 14, blur: 12, minOpacity: 0.25, maxZoom: 20}).addTo(map);
  var byId = {}, riskById = {}, riskN = 1;

  function giStyle(f) {
    var p = f.properties, z = p.gi_z || 0;
    if (p.hotspot === "hot") return {color: "#b71c1c", weight: 1, fillColor: z > 3.5 ? "#b71c1c" : "#e53935", fillOpacity: 0.55};
    if (p.hotspot === "cold") return {color: "#0d47a1", weight: 1, fillColor: "#42a5f5", fillOpacity: 0.45};
    return {color: "#90a4ae", weight: 0.4, fillColor: "#ffffff", fillOpacity: 0.01};
  }
  function riskStyle(f) {
    var r = f.properties.rank / riskN;
    if (r <= 0.05) return {color: "#4a148c", weight: 0.8, fillColor: "#6a1b9a", fillOpacity: 0.6};
    if (r <= 0.2) return {color: "#8e24aa", weight: 0.5, fillColor: "#ce93d8", fillOpacity: 0.45};
    return {color: "#b0bec5", weight: 0.3, fillOpacity: 0};
  }
  function row(label, value) { return "<tr><th>" + PN.esc(label) + "</th><td class=\"num\">" + PN.esc(value) + "</td></tr>"; }
  function info(id) {
    var g = byId[id], r = riskById[id];
    var h = '<table class="pn-table" id="pn-subzone-table">' + row(t("field.subzone"), id);
    if (g) {
      if (g.community_id) h += row(t("field.community"), PN.nameOf("communities", g.community_id));
      h += row(t("field.station"), PN.nameOf("stations", g.station_id)) + row(t("field.count"), g.count) + row(t("field.per_km2"), PN.fmt(g.per_km2, 1)) +
        row(t("field.gi_z"), PN.fmt(g.gi_z, 2)) + row(t("field.p"), PN.fmt(g.p, 4)) + row(t("field.q"), PN.fmt(g.q, 4)) +
        row(t("field.class"), g.hotspot === "hot" ? t("hot.hot") : g.hotspot === "cold" ? t("hot.cold") : t("hot.ns"));
    }
    if (r) h += row(t("field.rank"), r.rank + " / " + riskN) + row(t("field.expected"), PN.fmt(r.expected, 2)) + row(t("field.households"), PN.fmt(r.households));
    return h + "</table>";
  }
  function onEach(f, layer) {
    layer.on("click", function (e) {
      var id = f.properties.subzone_id, html = info(id);
      document.getElementById("pn-subzone-info").innerHTML = html;
      L.popup().setLatLng(e.latlng).setContent(html).openOn(map);
    });
  }
  var gi = L.geoJSON(null, {style: giStyle, onEachFeature: onEach}).addTo(map);
  var risk = L.geoJSON(null, {style: riskStyle, onEachFeature: onEach});
  PN.stack(map, [risk, gi, outline]);
  var overlays = {};
  overlays[t("hot.heat")] = heat; overlays[t("hot.gi")] = gi; overlays[t("hot.forecast")] = risk;
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  PN.legend(map, t("legend"), [[t("hot.hot"), "#e53935", ""], [t("hot.cold"), "#42a5f5", ""], [t("hot.ns"), "#eceff1", ""],
    [t("hot.risk_top"), "#6a1b9a", ""], [t("hot.risk_mid"), "#ce93d8", ""],
    [t("hot.heat"), "linear-gradient(90deg, blue, cyan, lime, yellow, red)", ""]]);

  function filters() {
    var p = {start: from.value || null, end: to.value || null};
    if (cat.value) p.categories = [cat.value];
    return p;
  }
  function loadHeat() {
    var f = filters();
    return PN.json(PN.url("/api/v1/incidents/points", {start: f.start, end: f.end, category: f.categories})).then(function (d) {
      if (d.heat) heat.setOptions({max: d.heat.max, maxZoom: d.heat.max_zoom});
      heat.setLatLngs(d.points);
      document.getElementById("pn-heat-status").textContent = t("hot.points", {
        n: d.count.toLocaleString(), cat: catLabel(f.categories), from: f.start || "", to: f.end || ""});
      document.getElementById("pn-map").setAttribute("data-heat-points", d.count);
    });
  }
  function loadGi() {
    return PN.layer("hotspot_subzones", {properties: "station_id,community_id,count,per_km2,gi_z,p,q,hotspot", simplify_m: 2}).then(function (fc) {
      byId = {};
      fc.features.forEach(function (f) { byId[f.properties.subzone_id] = f.properties; });
      gi.clearLayers(); gi.addData(fc); PN.stack(map);
      var hot = fc.features.filter(function (f) { return f.properties.hotspot === "hot"; }).length;
      var cold = fc.features.filter(function (f) { return f.properties.hotspot === "cold"; }).length;
      document.getElementById("pn-map").setAttribute("data-gi-features", fc.features.length);
      return {hot: hot, cold: cold};
    });
  }
  function loadRisk() {
    return PN.layer("forecast_subzones", {properties: "station_id,score,expected,rank,households,as_of,horizon_days", simplify_m: 2}).then(function (fc) {
      riskById = {}; riskN = fc.features.length || 1;
      fc.features.forEach(function (f) { riskById[f.properties.subzone_id] = f.properties; });
      risk.clearLayers(); risk.addData(fc); PN.stack(map);
      var p = fc.features.length ? fc.features[0].properties : null;
      document.getElementById("pn-forecast-status").textContent = p ? t("hot.forecast_info", {as_of: p.as_of, h: p.horizon_days}) : t("hot.no_forecast");
    });
  }
  function summary(s, counts) {
    document.getElementById("pn-hot-summary").textContent = t("hot.summary", {
      n: (s.incidents || 0).toLocaleString(), from: s.from, to: s.to, hot: counts.hot, cold: counts.cold,
      cat: catLabel(s.categories)});
  }
  function runHotspots() {
    var bar = PN.progress(document.getElementById("pn-hot-job"));
    var btn = document.getElementById("pn-hot-run");
    btn.disabled = true;
    /* the heat map follows the Gi* run: a failed run leaves both as they were (one question on the map) */
    return PN.runJob("hotspots", filters(), bar.update).then(function (job) {
      cfg.layers.hotspot_subzones = 1;
      return loadHeat().then(loadGi).then(function (counts) { summary(job.result, counts); });
    }).catch(function (e) { bar.fail(e.message); }).then(function () { btn.disabled = false; });
  }
  form.addEventListener("submit", function (ev) { ev.preventDefault(); runHotspots(); });

  document.getElementById("pn-forecast-run").addEventListener("click", function () {
    var bar = PN.progress(document.getElementById("pn-forecast-job"));
    var f = filters(), p = {cells: "subzones"};
    if (f.categories) p.categories = f.categories;
    PN.runJob("forecast", p, bar.update).then(function () { cfg.layers.forecast_subzones = 1; risk.addTo(map); return loadRisk().then(loadWatch); })
      .catch(function (e) { bar.fail(e.message); });
  });
  var gridBtn = document.getElementById("pn-run-grid");
  if (gridBtn) gridBtn.addEventListener("click", function () {
    var bar = PN.progress(document.getElementById("pn-hot-job"));
    PN.runJob("grid", {}, bar.update).then(function () { location.reload(); }).catch(function (e) { bar.fail(e.message); });
  });

  /* where to watch in one shift: the stored forecast ranked for the shift's hours and weekday */
  var watchMarks = L.layerGroup().addTo(map);
  function watchParams() {
    return {shift: document.getElementById("pn-watch-shift").value.trim(),
            date: document.getElementById("pn-watch-day").value || null};
  }
  function loadWatch() {
    var list = document.getElementById("pn-watch-list"), p = watchParams();
    var honesty = document.getElementById("pn-watch-honesty"), stale = document.getElementById("pn-watch-stale");
    var files = document.getElementById("pn-watch-files");
    if (!PN.has("forecast_subzones")) { honesty.textContent = t("watch.need_forecast"); return Promise.resolve(); }
    honesty.textContent = t("loading");
    return PN.json(PN.url("/api/v1/forecast/watchlist", p)).then(function (r) {
      honesty.textContent = r.honesty.text;
      stale.hidden = !r.stale; stale.textContent = r.stale_text || "";
      list.innerHTML = "<p class=\"pn-sub\">" + PN.esc(r.title) + "</p>" + PN.table([
        {key: "rank", label: "#", num: true},
        {key: "place", label: t("watch.col_place")},
        {key: "station", label: t("field.station")},
        {key: "expected_window", label: t("watch.col_expected"), num: true, digits: 3}
      ], r.rows, {id: "pn-watch-table"}) + "<p class=\"pn-sub\">" + PN.esc(r.method_note) + "</p>";
      var trs = list.querySelectorAll("#pn-watch-table tbody tr");
      watchMarks.clearLayers();
      r.rows.forEach(function (row, i) {
        var m = L.circleMarker([row.lat, row.lon], {radius: 9, color: "#e65100", weight: 2, fillColor: "#ffb74d", fillOpacity: 0.9})
          .bindTooltip(row.rank + ". " + row.place, {direction: "top"}).addTo(watchMarks);
        trs[i].setAttribute("data-place", row.place_id);
        trs[i].style.cursor = "pointer";
        trs[i].addEventListener("click", function () { map.setView([row.lat, row.lon], Math.max(map.getZoom(), 16)); m.openTooltip(); });
      });
      document.getElementById("pn-watch-csv").href = PN.url("/api/v1/forecast/watchlist", Object.assign({format: "csv"}, p));
      document.getElementById("pn-watch-xlsx").href = PN.url("/api/v1/forecast/watchlist", Object.assign({format: "xlsx"}, p));
      files.hidden = false;
    }).catch(function (e) { honesty.textContent = e.message; list.innerHTML = ""; files.hidden = true; watchMarks.clearLayers(); });
  }
  document.getElementById("pn-watch-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadWatch(); });

  loadHeat();
  if (PN.has("hotspot_subzones")) {
    loadGi().then(function (counts) { if (cfg.hotspots_meta && cfg.hotspots_meta.incidents) summary(cfg.hotspots_meta, counts); });
  } else if (PN.has("subzones") && PN.has("incidents")) {
    document.getElementById("pn-hot-summary").textContent = t("hot.no_gi");
    runHotspots();  // computed on demand, once; the layer then stays in the workspace
  }
  if (PN.has("forecast_subzones")) { loadRisk(); loadWatch(); }
  else document.getElementById("pn-forecast-status").textContent = t("hot.no_forecast");
})();
