/* Coverage map: station areas, brigade beats (main roads), station streets, grid-team areas,
   neighborhoods and cameras, with a legend and a layer switcher. Road ownership is fetched by bbox,
   simplified to about a pixel at the current zoom. */
(function () {
  "use strict";
  var t = PN.t;
  var map = PN.map("pn-map");
  window.pnMap = map;
  var stationColor = {}, loaded = [];
  /* every layer exists (empty) from the start, so the switcher, the legend and the drawing order
     are fixed whatever order the data arrive in */
  function tip(fn) { return function (f, l) { l.bindTooltip(fn(f.properties), {sticky: true}); }; }
  var stations = L.geoJSON(null, {
    style: function (f) { return {color: "#37474f", weight: 0.5, fillColor: stationColor[f.properties.station_id], fillOpacity: 0.12}; },
    onEachFeature: tip(function (p) { return PN.esc(p.name); })
  });
  var stationLines = L.geoJSON(null, {style: {color: "#263238", weight: 2.5, fill: false}, interactive: false});
  var grid = L.geoJSON(null, {
    style: function (f) { return {color: stationColor[f.properties.station_id] || "#6d4c41", weight: 1.5, dashArray: "4 3", fillOpacity: 0.25}; },
    onEachFeature: tip(function (p) {
      return PN.esc(PN.nameOf("stations", p.station_id)) + " · " + t("cov.team") + " " + p.team + " · " + t("field.households") + " " + PN.fmt(p.households);
    })
  });
  var hoods = L.geoJSON(null, {
    style: function (f) { return {color: f.properties.model_kind ? "#f9a825" : "#8e24aa", weight: f.properties.model_kind ? 2 : 0.8, fillOpacity: 0.15}; },
    onEachFeature: tip(function (p) { return PN.esc(p.name) + (p.model_kind ? " ★" : ""); })
  });
  var streets = L.geoJSON(null, {
    style: function () { return {color: "#78909c", weight: 1, opacity: 0.8}; },
    filter: function (f) { return f.properties.owner_kind !== "brigade"; },
    onEachFeature: tip(function (p) {
      return PN.esc(p.name || t("field.unnamed")) + " · " + PN.esc(p.owner_kind === "station" ? PN.nameOf("stations", p.owner_id) : p.owner_id);
    })
  });
  var beats = L.geoJSON(null, {
    style: function (f) { return {color: PN.color((f.properties.beat || 0) + 3), weight: 4, opacity: 0.9}; },
    onEachFeature: tip(function (p) { return t("cov.beat") + " " + PN.esc(p.beat_id) + " · " + PN.fmt(p.length_m / 1000, 1) + " km"; })
  });
  var cams = L.geoJSON(null, {
    pointToLayer: function (f, ll) { return L.circleMarker(ll, {radius: 2.5, weight: 0.5, color: "#fff", fillColor: "#1565c0", fillOpacity: 0.9}); },
    onEachFeature: tip(function (p) { return PN.esc(PN.nameOf("camera_kinds", p.kind)) + " · " + PN.esc(p.camera_id); })
  });
  var views = L.geoJSON(null, {
    style: function () { return {color: "#1e88e5", weight: 0.5, fillColor: "#42a5f5", fillOpacity: 0.25}; },
    onEachFeature: tip(function (p) { return PN.esc(PN.nameOf("camera_kinds", p.kind)) + " · " + PN.esc(p.camera_id); })
  });
  var gaps = L.geoJSON(null, {
    style: function () { return {color: "#d32f2f", weight: 3, opacity: 0.85, fillOpacity: 0.2}; },
    pointToLayer: function (f, ll) { return L.circleMarker(ll, {radius: 4, weight: 1, color: "#fff", fillColor: "#d32f2f", fillOpacity: 0.9}); },
    onEachFeature: tip(function (p) { return PN.esc(t("gap." + p.kind)) + " · " + PN.esc(p.road_name || p.neighborhood_name || "") + " · " + PN.fmt(p.risk_score, 2); })
  });
  PN.stack(map, [stations, grid, hoods, streets, stationLines, beats, views, gaps, cams]);
  var control = L.control.layers(null, {}, {collapsed: false}).addTo(map), legend = [];
  [["stations", t("cov.stations"), L.layerGroup([stations, stationLines]), true, "#90a4ae", ""],
   ["beats", t("cov.beats"), beats, true, "#e15759", "line"],
   ["edge_owners", t("cov.local"), streets, true, "#78909c", "line"],
   ["grid_team_areas", t("cov.grid_areas"), grid, true, "#8d6e63", ""],
   ["neighborhoods", t("cov.neighborhoods"), hoods, false, "#8e24aa", ""],
   ["camera_views", t("cov.views"), views, false, "#42a5f5", ""],
   ["camera_gaps", t("cov.gaps"), gaps, false, "#d32f2f", "line"],
   ["cameras", t("cov.cameras"), cams, true, "#1565c0", "dot"]].forEach(function (x) {
    if (!PN.has(x[0])) return;
    control.addOverlay(x[2], x[1]);
    if (x[3]) x[2].addTo(map);
    legend.push([x[1], x[4], x[5]]);
  });
  PN.legend(map, t("legend"), legend);
  function fill(layer) { return function (fc) { layer.addData(fc); PN.stack(map); }; }

  if (PN.has("stations")) {
    loaded.push(PN.layer("stations", PN.cfg.requests.outlines.stations).then(function (fc) {
      fc.features.forEach(function (f, i) { stationColor[f.properties.station_id] = PN.color(i); });
      fill(stations)(fc); fill(stationLines)(fc);
      grid.setStyle(grid.options.style);
    }));
  }
  if (PN.has("grid_team_areas")) {
    loaded.push(PN.layer("grid_team_areas", {properties: "station_id,team,neighborhoods,households", simplify_m: 3}).then(fill(grid)));
  }
  if (PN.has("beats")) loaded.push(PN.layer("beats", {properties: "beat,length_m", simplify_m: 3}).then(fill(beats)));
  if (PN.has("neighborhoods")) {
    loaded.push(PN.layer("neighborhoods", {properties: "name,station_id,households,model_kind", simplify_m: 2}).then(fill(hoods)));
  }
  if (PN.has("cameras")) loaded.push(PN.layer("cameras", {properties: "kind"}).then(fill(cams)));
  if (PN.has("camera_views")) loaded.push(PN.layer("camera_views", {properties: "camera_id,kind", simplify_m: 1}).then(fill(views)));
  if (PN.has("camera_gaps")) {
    /* the gap layer is ranked by risk: its first 2,000 rows are the riskiest */
    loaded.push(PN.json(PN.url("/api/v1/layers/camera_gaps", {limit: 2000, properties: "kind,road_name,risk_score"})).then(fill(gaps)));
  }
  if (PN.has("edge_owners")) {
    /* the station streets: loaded for the view (bbox) at a tolerance of about one pixel */
    var pending = null, lastKey = null, timer = null;
    var load = function () {
      if (!map.hasLayer(streets)) return null;
      var b = map.getBounds().pad(0.2), z = map.getZoom();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(4); }).join(",");
      var tol = Math.max(0.5, Math.min(20, 156543 * Math.cos(b.getCenter().lat * Math.PI / 180) / Math.pow(2, z)));
      var key = bbox + "|" + z;
      if (key === lastKey) return null;
      lastKey = key;
      var mine = pending = PN.layer("edge_owners", {properties: "owner_kind,owner_id,name", simplify_m: tol.toFixed(1), bbox: bbox});
      return mine.then(function (fc) {
        if (mine !== pending) return;
        streets.clearLayers(); streets.addData(fc); PN.stack(map);
        document.getElementById("pn-map").setAttribute("data-streets", fc.features.length);
      });
    };
    map.on("moveend overlayadd", function () { clearTimeout(timer); timer = setTimeout(load, 250); });
    loaded.push(load());
  }
  if (PN.has("tracks")) {
    /* patrol coverage from the GPS tracks: minutes along each street, the last 7 days of pings (for
       those who may see where units went: the routes' export permission) */
    var patrolled = L.geoJSON(null, {
      style: function (f) {
        var m = f.properties.minutes;
        return {color: m >= 60 ? "#7f0000" : m >= 20 ? "#d7301f" : m >= 5 ? "#fc8d59" : "#fdcc8a", weight: 4, opacity: 0.9};
      },
      onEachFeature: tip(function (p) { return PN.esc(p.name || "") + " · " + PN.fmt(p.minutes, 1) + " min"; })
    });
    var form = document.getElementById("pn-tracks-form");
    function showTracks(fc) {
      patrolled.clearLayers(); patrolled.addData(fc); PN.stack(map);
      var period = fc.start ? t("cov.tracks_period", fc) : "";
      document.getElementById("pn-tracks-period").textContent = period;
      document.getElementById("pn-tracks-period").className = "pn-sub";
      if (fc.start) { document.getElementById("pn-tracks-start").value = fc.start; document.getElementById("pn-tracks-end").value = fc.end; }
      document.getElementById("pn-map").setAttribute("data-patrolled", fc.features.length);
    }
    loaded.push(PN.me.then(function (me) {
      if (!me || me.permissions.indexOf("export") < 0) return null;
      return PN.json(PN.url("/api/v1/field/coverage")).then(function (fc) {
        showTracks(fc);
        control.addOverlay(patrolled, t("cov.tracks"));
        form.hidden = false;
      });
    }));
    /* another period: the minutes of the days chosen (the layer stays on the map) */
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      PN.json(PN.url("/api/v1/field/coverage", {start: document.getElementById("pn-tracks-start").value,
                                                end: document.getElementById("pn-tracks-end").value}))
        .then(function (fc) { showTracks(fc); if (!map.hasLayer(patrolled)) patrolled.addTo(map); })
        .catch(function (e) { var el = document.getElementById("pn-tracks-period"); el.textContent = e.message; el.className = "pn-error"; });
    });
  }
  Promise.all(loaded).then(function () { document.getElementById("pn-map").setAttribute("data-loaded", "1"); });

  var splitBtn = document.getElementById("pn-run-split");
  if (splitBtn) splitBtn.addEventListener("click", function () {
    var bar = PN.progress(document.getElementById("pn-split-job"));
    splitBtn.disabled = true;
    PN.runJob("split", {}, bar.update).then(function () { location.reload(); })
      .catch(function (e) { bar.fail(e.message); splitBtn.disabled = false; });
  });
})();
