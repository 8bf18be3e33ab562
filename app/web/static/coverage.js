/* Coverage map: station areas, brigade beats (main roads), station streets, grid-team areas,
   neighborhoods and cameras, with a legend and a layer switcher. Road ownership is fetched by bbox,
   simplified to about a pixel at the current zoom. */
(function () {
  "use strict";
  var t = PN.t;
  var map = PN.map("pn-map");
  window.pnMap = map;
  var stationColor = {}, overlays = {}, legend = [];
  var control = L.control.layers(null, {}, {collapsed: false}).addTo(map);
  function add(label, layer, show, item) {
    control.addOverlay(layer, label);
    if (show) layer.addTo(map);
    if (item) { legend.push(item); leg.set(legend); }
    overlays[label] = layer;
  }
  var leg = PN.legend(map, t("legend"), []);
  var loaded = [];

  if (PN.has("stations")) {
    loaded.push(PN.layer("stations", {properties: "name", simplify_m: 5}).then(function (fc) {
      fc.features.forEach(function (f, i) { stationColor[f.properties.station_id] = PN.color(i); });
      var lyr = L.geoJSON(fc, {
        pane: "pnAreas",
        style: function (f) { return {color: "#37474f", weight: 2, fillColor: stationColor[f.properties.station_id], fillOpacity: 0.12}; },
        onEachFeature: function (f, l) { l.bindTooltip(PN.esc(f.properties.name), {sticky: true}); }
      });
      add(t("cov.stations"), lyr, true, [t("cov.stations"), "#90a4ae", ""]);
      lyr.bringToBack();
    }));
  }
  if (PN.has("grid_team_areas")) {
    loaded.push(PN.layer("grid_team_areas", {properties: "station_id,team,neighborhoods,households", simplify_m: 3}).then(function (fc) {
      var lyr = L.geoJSON(fc, {
        pane: "pnAreas",
        style: function (f) { return {color: stationColor[f.properties.station_id] || "#6d4c41", weight: 1.5, dashArray: "4 3", fillOpacity: 0.25}; },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindTooltip(PN.esc(p.area_id) + " · " + t("cov.team") + " " + p.team + " · " + t("field.households") + " " + PN.fmt(p.households), {sticky: true});
        }
      });
      add(t("cov.grid_areas"), lyr, true, [t("cov.grid_areas"), "#8d6e63", ""]);
    }));
  }
  if (PN.has("beats")) {
    loaded.push(PN.layer("beats", {properties: "beat,length_m", simplify_m: 3}).then(function (fc) {
      var lyr = L.geoJSON(fc, {
        pane: "pnTop",
        style: function (f) { return {color: PN.color((f.properties.beat || 0) + 3), weight: 4, opacity: 0.9}; },
        onEachFeature: function (f, l) {
          l.bindTooltip(t("cov.beat") + " " + PN.esc(f.properties.beat_id) + " · " + PN.fmt(f.properties.length_m / 1000, 1) + " km", {sticky: true});
        }
      });
      add(t("cov.beats"), lyr, true, [t("cov.beats"), "#e15759", "line"]);
    }));
  }
  if (PN.has("edge_owners")) {
    /* the station streets: loaded for the view (bbox) at a tolerance of about one pixel */
    var streets = L.geoJSON(null, {
      pane: "pnLines",
      style: function () { return {color: "#78909c", weight: 1, opacity: 0.8}; },
      filter: function (f) { return f.properties.owner_kind !== "brigade"; },
      onEachFeature: function (f, l) { l.bindTooltip(PN.esc(f.properties.name || "") + " · " + PN.esc(f.properties.owner_id), {sticky: true}); }
    });
    add(t("cov.local"), streets, true, [t("cov.local"), "#78909c", "line"]);
    var pending = null, lastKey = null;
    var load = function () {
      if (!map.hasLayer(streets)) return;
      var b = map.getBounds().pad(0.2), z = map.getZoom();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(4); }).join(",");
      var tol = Math.max(0.5, Math.min(20, 156543 * Math.cos(b.getCenter().lat * Math.PI / 180) / Math.pow(2, z)));
      var key = bbox + "|" + z;
      if (key === lastKey) return;
      lastKey = key;
      var mine = pending = PN.layer("edge_owners", {properties: "owner_kind,owner_id,name", simplify_m: tol.toFixed(1), bbox: bbox});
      mine.then(function (fc) {
        if (mine !== pending) return;
        streets.clearLayers(); streets.addData(fc);
        document.getElementById("pn-map").setAttribute("data-streets", fc.features.length);
      });
      return mine;
    };
    var timer = null;
    map.on("moveend overlayadd", function () { clearTimeout(timer); timer = setTimeout(load, 250); });
    loaded.push(load());
  }
  if (PN.has("neighborhoods")) {
    loaded.push(PN.layer("neighborhoods", {properties: "name,station_id,households,model_kind", simplify_m: 2}).then(function (fc) {
      var lyr = L.geoJSON(fc, {
        pane: "pnAreas",
        style: function (f) { return {color: f.properties.model_kind ? "#f9a825" : "#8e24aa", weight: f.properties.model_kind ? 2 : 0.8, fillOpacity: 0.15}; },
        onEachFeature: function (f, l) { l.bindTooltip(PN.esc(f.properties.name) + (f.properties.model_kind ? " ★" : ""), {sticky: true}); }
      });
      add(t("cov.neighborhoods"), lyr, false, [t("cov.neighborhoods"), "#8e24aa", ""]);
    }));
  }
  if (PN.has("cameras")) {
    loaded.push(PN.layer("cameras", {properties: "kind"}).then(function (fc) {
      var lyr = L.geoJSON(fc, {
        pointToLayer: function (f, ll) { return L.circleMarker(ll, {pane: "pnPoints", radius: 2.5, weight: 0.5, color: "#fff", fillColor: "#1565c0", fillOpacity: 0.9}); },
        onEachFeature: function (f, l) { l.bindTooltip(PN.esc(f.properties.camera_id) + " · " + PN.esc(f.properties.kind)); }
      });
      add(t("cov.cameras"), lyr, true, [t("cov.cameras"), "#1565c0", "dot"]);
    }));
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
