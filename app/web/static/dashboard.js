/* Dashboard map: the district's own layers are the base map (no tiles unless the server has a local
   MBTiles file). The page holds only the map's set-up (config.map); every layer comes from the API:
   station areas and the boundary once, the incident heat once for its 12 months, and roads,
   neighborhoods, cameras and incident points for the current view (bbox, simplified to about a
   pixel), reloaded after a pan or zoom (debounced). A view holding more features than the layer's
   budget asks to zoom in instead of drawing them; a failed request says which layer and why, with a
   retry. Everything is drawn on one canvas. */
(function () {
  "use strict";
  var cfg = PN.cfg, t = PN.t, M = cfg.map, S = M.style, LBL = M.labels, F = M.fields, V = cfg.requests.views;
  var el = document.getElementById("pn-map");
  var map = PN.map("pn-map");
  window.pnMap = map;
  var when = PN.timeFormatter(cfg.timezone || "");
  var mainClasses = {};
  M.main_road_classes.forEach(function (c) { mainClasses[c] = true; });

  /* -- what a feature says: a tooltip on hover, the same in a popup on click or tap ------------- */
  function rows(pairs) {
    return '<table class="pn-tip">' + pairs.map(function (p) {
      return "<tr><th>" + PN.esc(p[0]) + "</th><td>" + PN.esc(p[1]) + "</td></tr>";
    }).join("") + "</table>";
  }
  function describe(group, fn) {
    var html = function (layer) { return rows(fn(layer.feature ? layer.feature.properties : {})); };
    group.bindTooltip(html, {sticky: true});
    group.bindPopup(html);
    return group;
  }
  /* "main" when any part of the OSM highway tag (e.g. "['primary', 'service']") is a main class */
  function roadClass(highway) {
    var parts = String(highway === null || highway === undefined ? "" : highway).toLowerCase().match(/[a-z_]+/g) || [];
    return parts.some(function (p) { return mainClasses[p]; }) ? "main" : "local";
  }

  /* -- the layers (empty at first: the switcher, legend and drawing order are fixed) ----------- */
  var colorOf = {};
  var stations = L.geoJSON(null, {interactive: false, style: function (f) {
    var c = colorOf[f.properties.station_id] || M.station_colors[0];
    return {color: c, weight: 2, fillColor: c, fillOpacity: 0.12};
  }});
  var sites = L.featureGroup();
  (M.sites || []).forEach(function (s) {
    L.circleMarker([s.lat, s.lon], {radius: 6, color: "#ffffff", weight: 2, fillColor: S.station_site, fillOpacity: 1})
      .bindTooltip(PN.esc(s.name), {permanent: true, direction: "right", className: "pn-label"})
      .addTo(sites);
  });
  var boundary = L.geoJSON(null, {interactive: false,
    style: {color: S.boundary, weight: 3, dashArray: "8 6", fill: false}});
  function roadInfo(cls) {
    return function (p) {
      return [[F.name, p.name ? p.name : F.unnamed], [F.road_class, M.road_labels[cls]]];
    };
  }
  var local = describe(L.geoJSON(null, {style: {color: S.roads_local, weight: 1.2, opacity: 0.9}, smoothFactor: 1.5}),
                       roadInfo("local"));
  var main = describe(L.geoJSON(null, {style: {color: S.roads_main, weight: 3.5, opacity: 0.9}, smoothFactor: 1.5}),
                      roadInfo("main"));
  function isModel(p) { return p.model_kind !== null && p.model_kind !== undefined && p.model_kind !== ""; }
  var hoods = describe(L.geoJSON(null, {style: function (f) {
    var model = isModel(f.properties);
    return {color: model ? S.model : S.neighborhoods, weight: model ? 2 : 1, fillColor: S.neighborhoods, fillOpacity: 0.18};
  }}), function (p) {
    return [[F.name, p.name], [F.kind, M.neighborhood_kinds[p.kind] || p.kind || ""],
            [F.households, p.households === null || p.households === undefined ? "" : PN.fmt(p.households)],
            [F.model, isModel(p) ? "★" : ""]];
  });
  var cams = describe(L.geoJSON(null, {pointToLayer: function (f, ll) {
    return L.circleMarker(ll, {radius: 3, weight: 1, color: "#ffffff", fillColor: S.cameras, fillOpacity: 0.9});
  }}), function (p) { return [[F.camera_id, p.camera_id], [F.kind, M.camera_kinds[p.kind] || p.kind || ""]]; });
  var heat = L.heatLayer([], {radius: 14, blur: 12, minOpacity: 0.25, maxZoom: 22});
  var points = describe(L.geoJSON(null, {pointToLayer: function (f, ll) {
    return L.circleMarker(ll, {radius: 3, weight: 0, fillColor: S.incidents, fillOpacity: 0.8});
  }}), function (p) { return [[F.category, M.categories[p.category] || p.category], [F.occurred_at, when(p.occurred_at)]]; });
  PN.stack(map, [stations, boundary, local, main, hoods, cams, points, sites]);

  /* -- switcher and legend: the layers the workspace has, as the dashboard always showed them -- */
  var bases = {};
  if (M.tiles) {
    var tiles = L.tileLayer(M.tiles.url, {attribution: M.tiles.attribution, maxNativeZoom: M.tiles.max_native_zoom || undefined,
                                          maxZoom: 22}).addTo(map);
    bases[LBL.tiles] = tiles;
  }
  var control = L.control.layers(bases, {}, {collapsed: el.clientWidth < 600}).addTo(map), legend = [];
  var hasHeat = PN.has("incidents") && !!M.heat_window;
  [["stations", LBL.stations, stations, true, M.station_colors[0], "area"],
   ["stations", LBL.station_sites, sites, (M.sites || []).length > 0, S.station_site, "dot"],
   ["boundary", LBL.boundary, boundary, true, S.boundary, "line"],
   ["road_edges", LBL.roads_local, local, true, S.roads_local, "line"],
   ["road_edges", LBL.roads_main, main, true, S.roads_main, "line"],
   ["neighborhoods", LBL.neighborhoods, hoods, true, S.neighborhoods, "area"],
   ["cameras", LBL.cameras, cams, true, S.cameras, "dot"],
   ["incidents", LBL.incidents_heat, heat, hasHeat, "linear-gradient(90deg, blue, cyan, lime, yellow, red)", "area"],
   ["incidents", LBL.incidents_points, points, hasHeat, S.incidents, "dot"]].forEach(function (x, i) {
    if (!PN.has(x[0]) || !x[3]) return;
    control.addOverlay(x[2], x[1]);
    if (i !== 8) x[2].addTo(map);  // incident points start hidden, as the heat shows them
    legend.push([x[1], x[4], x[5]]);
  });
  PN.legend(map, LBL.legend, legend);

  /* -- loading state, notes and errors, in the map ------------------------------------------- */
  var box = document.createElement("div");
  box.className = "pn-map-status"; box.id = "pn-map-status";
  box.setAttribute("role", "status"); box.setAttribute("aria-live", "polite"); box.hidden = true;
  el.parentNode.appendChild(box);
  var inflight = {}, notes = {}, errors = {}, retries = {};
  function show() {
    var names = Object.keys(inflight).filter(function (k) { return inflight[k].n > 0; });
    var html = "";
    if (names.length) {
      html += '<div class="pn-map-loading"><span class="pn-spin"></span>' +
        PN.esc(t("dash.loading", {layers: names.map(function (k) { return inflight[k].label; }).join(cfg.lang === "en" ? ", " : "、")})) + "</div>";
    }
    var crowded = Object.keys(notes);
    if (crowded.length) {  /* one line for every layer with too many features in the view */
      html += '<div class="pn-map-note" data-layers="' + crowded.join(",") + '">' + PN.esc(t("dash.zoom_in", {
        layers: crowded.map(function (k) { return notes[k]; }).join(cfg.lang === "en" ? ", " : "、")})) + "</div>";
    }
    Object.keys(errors).forEach(function (k) {
      html += '<div class="pn-map-error" data-layer="' + k + '">' + PN.esc(errors[k]) +
        ' <button type="button" class="pn-btn secondary pn-retry">' + PN.esc(t("dash.retry")) + "</button></div>";
    });
    box.innerHTML = html;
    box.hidden = !html;
    el.setAttribute("data-loading", names.length);
    el.setAttribute("data-errors", Object.keys(errors).join(","));
  }
  box.addEventListener("click", function (ev) {
    if (!ev.target.classList.contains("pn-retry")) return;
    var again = retries; retries = {}; errors = {}; show();
    Object.keys(again).forEach(function (k) { again[k](); });
  });
  function track(key, label, promise, retry) {
    var f = inflight[key] = inflight[key] || {n: 0, label: label};
    f.n++; show();
    return promise.then(function (v) {
      delete errors[key]; delete retries[key];
      return v;
    }, function (e) {
      if (e && e.status === 401) return;  /* signed out: pn.js goes to the sign-in page */
      var detail = e && e.status ? e.message : t("dash.offline");
      errors[key] = t("dash.error", {layer: label, detail: detail});
      retries[key] = retry;
    }).then(function (v) { f.n--; show(); return v; });
  }

  /* -- layers loaded once --------------------------------------------------------------------- */
  function loadStations() {
    return track("stations", LBL.stations, PN.layer("stations", PN.cfg.requests.outlines.stations).then(function (fc) {
      fc.features.forEach(function (f, i) { colorOf[f.properties.station_id] = M.station_colors[i % M.station_colors.length]; });
      stations.clearLayers(); stations.addData(fc); PN.stack(map);
    }), loadStations);
  }
  function loadBoundary() {
    return track("boundary", LBL.boundary, PN.layer("boundary", PN.cfg.requests.outlines.boundary).then(function (fc) {
      boundary.clearLayers(); boundary.addData(fc); PN.stack(map);
    }), loadBoundary);
  }
  function loadHeat() {
    var w = M.heat_window;
    return track("heat", LBL.incidents_heat, PN.json(PN.url("/api/v1/incidents/points", {start: w.start, end: w.end})).then(function (d) {
      if (d.heat) heat.setOptions({max: d.heat.max, maxZoom: d.heat.max_zoom});
      heat.setLatLngs(d.points);
      el.setAttribute("data-heat-points", d.count);
    }), loadHeat);
  }

  /* -- layers of the current view -------------------------------------------------------------- */
  function inWindow(p) {
    var day = when(p.occurred_at).slice(0, 10);
    return day >= M.heat_window.start && day <= M.heat_window.end;
  }
  var views = [
    {key: "roads", layer: "road_edges", label: LBL.roads_main + " / " + LBL.roads_local, short: M.road_edges_label, groups: [local, main],
     properties: V.road_edges.properties, simplify: V.road_edges.simplify, budget: M.budget.roads, draw: function (fc) {
       /* each two-way street is stored once per direction: draw it once */
       var seen = {}, parts = {main: [], local: []};
       fc.features.forEach(function (f) {
         var c = f.geometry && f.geometry.coordinates;
         if (!c || !c.length) return;
         var a = c[0].join(), b = c[c.length - 1].join(), k = (a < b ? a + "|" + b : b + "|" + a) + "|" + c.length;
         if (seen[k]) return;
         seen[k] = 1;
         parts[roadClass(f.properties.highway)].push(f);
       });
       local.clearLayers(); local.addData({type: "FeatureCollection", features: parts.local});
       main.clearLayers(); main.addData({type: "FeatureCollection", features: parts.main});
       return parts.local.length + parts.main.length;
     }},
    {key: "neighborhoods", layer: "neighborhoods", label: LBL.neighborhoods, groups: [hoods],
     properties: V.neighborhoods.properties, simplify: V.neighborhoods.simplify, budget: M.budget.neighborhoods,
     draw: function (fc) { hoods.clearLayers(); hoods.addData(fc); return fc.features.length; }},
    {key: "cameras", layer: "cameras", label: LBL.cameras, groups: [cams], properties: V.cameras.properties, budget: M.budget.cameras,
     draw: function (fc) { cams.clearLayers(); cams.addData(fc); return fc.features.length; }},
    {key: "incidents", layer: "incidents", label: LBL.incidents_points, groups: [points], properties: V.incidents.properties,
     budget: M.budget.incidents, draw: function (fc) {
       var recent = fc.features.filter(function (f) { return inWindow(f.properties); });
       points.clearLayers(); points.addData({type: "FeatureCollection", features: recent});
       return recent.length;
     }}
  ];
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function loadView(v, force) {
    if (!PN.has(v.layer) || !v.groups.some(function (g) { return map.hasLayer(g); })) return null;
    var z = map.getZoom(), b = map.getBounds();
    var l = v.loaded;
    if (!force && l && l.bounds.contains(b) && (l.complete ? (!v.simplify || z <= l.z + 1) : z === l.z)) return null;
    var p = b.pad(0.25);
    var box4 = [clamp(p.getWest(), -180, 180), clamp(p.getSouth(), -90, 90), clamp(p.getEast(), -180, 180), clamp(p.getNorth(), -90, 90)];
    var bounds = L.latLngBounds([box4[1], box4[0]], [box4[3], box4[2]]);
    /* a view around one that held too many holds at least as many: nothing to ask */
    if (!force && l && !l.complete && bounds.contains(l.bounds)) return null;
    var bbox = box4.map(function (x) { return x.toFixed(5); }).join(",");
    var lat = b.getCenter().lat;
    var opts = {properties: v.properties, bbox: bbox};
    if (v.simplify) {  /* about one screen pixel in metres (v.simplify of it) */
      var range = cfg.requests.simplify_m_range;
      opts.simplify_m = clamp(v.simplify * 156543 * Math.cos(lat * Math.PI / 180) / Math.pow(2, z), range[0], range[1]).toFixed(1);
    }
    var gen = v.gen = (v.gen || 0) + 1;
    /* one feature first: how many the view holds (numberMatched) */
    /* (with the view's simplification: the server then selects from the same written features) */
    var run = PN.json(PN.url("/api/v1/layers/" + v.layer, Object.assign({limit: 1}, opts))).then(function (probe) {
      if (gen !== v.gen) return;
      if (probe.numberMatched > v.budget) {
        v.groups.forEach(function (g) { g.clearLayers(); });
        notes[v.key] = (v.short || v.label) + " " + probe.numberMatched.toLocaleString();
        v.loaded = {bounds: bounds, z: z, complete: false};
        el.setAttribute("data-" + v.key, "0");
        return;
      }
      delete notes[v.key];
      var all = probe.numberMatched <= 1 ? Promise.resolve(probe) : PN.layer(v.layer, opts);
      return all.then(function (fc) {
        if (gen !== v.gen) return;
        var n = v.draw(fc);
        PN.stack(map);
        v.loaded = {bounds: bounds, z: z, complete: true};
        el.setAttribute("data-" + v.key, n);
      });
    });
    return track(v.key, v.label, run, function () { loadView(v, true); });
  }
  /* the stations' names stay on the map while they fit: over 30 in the view, on hover only */
  function crowd() {
    var b = map.getBounds(), n = 0;
    (M.sites || []).forEach(function (s) { if (b.contains([s.lat, s.lon])) n++; });
    el.classList.toggle("pn-crowded", n > 30);
  }
  function refresh() {
    crowd();
    return Promise.all(views.map(function (v) { return loadView(v, false); }));
  }
  var timer = null;
  map.on("moveend overlayadd", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });

  var first = [refresh()];
  if (PN.has("stations")) first.push(loadStations());
  if (PN.has("boundary")) first.push(loadBoundary());
  if (hasHeat) first.push(loadHeat());
  Promise.all(first).then(function () { el.setAttribute("data-loaded", "1"); });
})();
