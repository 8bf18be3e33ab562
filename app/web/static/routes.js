/* Route planner: date, shift and unit kinds -> a routes job with a progress bar -> the routes drawn
   with their stops and times; downloads (GPX, GeoJSON, KML, printable sheets, dosage CSV); the
   recorded plans of the day and shift with their author and status (submit, approve). */
(function () {
  "use strict";
  var cfg = PN.cfg, t = PN.t;
  var map = PN.map("pn-map");
  window.pnMap = map;
  var form = document.getElementById("pn-routes-form");
  document.getElementById("pn-date").value = cfg.default_date;
  document.getElementById("pn-shift").value = cfg.default_shift;
  var dl = document.getElementById("pn-shifts");
  cfg.shifts.forEach(function (s) { var o = document.createElement("option"); o.value = s; dl.appendChild(o); });
  var kinds = document.getElementById("pn-kinds");
  cfg.unit_kinds.forEach(function (k) {
    if (!k.count) return;
    var lab = document.createElement("label");
    lab.innerHTML = '<input type="checkbox" name="kinds" value="' + PN.esc(k.code) + '"' +
      (cfg.default_kinds.indexOf(k.code) >= 0 ? " checked" : "") + "> " + PN.esc(k.label) + " (" + k.count + ")";
    kinds.appendChild(lab);
  });

  var outline = L.geoJSON(null, {style: {color: "#90a4ae", weight: 1.2, fill: false}, interactive: false}).addTo(map);
  var mains = L.geoJSON(null, {style: {color: "#cfd8dc", weight: 3}, interactive: false}).addTo(map);
  var routes = L.featureGroup().addTo(map), stops = L.featureGroup().addTo(map);
  PN.stack(map, [outline, mains, routes, stops]);
  if (PN.has("stations")) {
    PN.layer("stations", PN.cfg.requests.outlines.stations).then(function (fc) { outline.addData(fc); PN.stack(map); });
  }
  if (PN.has("beats")) {
    PN.layer("beats", {properties: "beat", simplify_m: 5}).then(function (fc) { mains.addData(fc); PN.stack(map); });
  }
  var lines = {};
  var ctl = L.control.layers(null, {}, {collapsed: false}).addTo(map);
  ctl.addOverlay(routes, t("routes.units")); ctl.addOverlay(stops, t("routes.stop"));

  function hm(iso) { return iso ? iso.substr(11, 5) : ""; }
  /* one colour per kind of unit (the brigade's cars red, grid teams blue, ...), so 59 routes read as
     groups; a unit picked in the table is drawn alone with its stops and timetable */
  var KIND_COLOR = {brigade_vehicle: "#d62728", grid_team: "#1f77b4", station_team: "#ff7f0e",
                    volunteer_team: "#2ca02c", skynet_guard: "#9467bd"};
  var stopsOf = {}, nameOf = {}, picked = null, unitZip = null;
  function draw(fc) {
    routes.clearLayers(); stops.clearLayers(); lines = {}; stopsOf = {}; nameOf = {}; picked = null;
    var colorOf = {};
    fc.features.forEach(function (f) {
      var p = f.properties;
      if (p.feature_type !== "route") return;
      var c = colorOf[p.unit_id] = KIND_COLOR[p.unit_kind] || "#555";
      var lyr = L.geoJSON(f, {style: {color: c, weight: p.unit_kind === "brigade_vehicle" ? 3.5 : 2.5, opacity: 0.85}});
      lyr.bindTooltip(PN.esc(p.name) + " · " + PN.esc(p.lineup) + " · " + PN.fmt(p.length_m / 1000, 1) + " km", {sticky: true});
      lyr.on("click", function () { pick(p.unit_id); });
      lyr.addTo(routes);
      lines[p.unit_id] = lyr; nameOf[p.unit_id] = unitName(p);
    });
    fc.features.forEach(function (f) {
      var p = f.properties;
      if (p.feature_type !== "stop") return;
      var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var m = L.circleMarker(ll, {radius: 4, weight: 1, color: "#fff", fillColor: colorOf[p.unit_id] || "#333", fillOpacity: 1})
        .bindTooltip(PN.esc(nameOf[p.unit_id] || p.unit_id) + " #" + p.seq + " " + PN.esc(p.label || "") + "<br>" + t("routes.arrive") + " " + hm(p.arrive) +
          " · " + t("routes.depart") + " " + hm(p.depart) + (p.road ? "<br>" + PN.esc(p.road) : ""))
        .addTo(stops);
      (stopsOf[p.unit_id] = stopsOf[p.unit_id] || []).push({marker: m, p: p});
    });
    PN.stack(map);
    var b = routes.getBounds();
    if (b.isValid()) map.fitBounds(b.pad(0.05));
    document.getElementById("pn-map").setAttribute("data-routes", Object.keys(lines).length);
    document.getElementById("pn-map").setAttribute("data-stops", stops.getLayers().length);
  }
  /* a unit's name in the page's language (an English page: the workspace's English name) */
  function unitName(u) { return (cfg.unit_names && cfg.unit_names[u.unit_id]) || u.name; }
  function show(job) {
    var r = job.result, files = {};
    job.files.forEach(function (f) { files[f.name] = f.href; });
    unitZip = r.units_zip && files[r.units_zip] ? files[r.units_zip] : null;
    document.getElementById("pn-routes-summary").textContent = t("routes.summary", {date: r.date, shift: r.shift, n: r.units.length});
    var links = [["gpx", r.gpx], ["geojson", r.routes_geojson], ["kml", r.kml], ["sheets", r.sheets], ["csv", r.dosage_csv]];
    document.getElementById("pn-downloads").innerHTML = links.filter(function (l) { return l[1] && files[l[1]]; }).map(function (l) {
      return '<a class="pn-btn secondary" id="pn-dl-' + l[0] + '" href="' + files[l[1]] + '"' + (l[0] === "sheets" ? ' target="_blank"' : " download") + ">" + PN.esc(t("routes." + l[0])) + "</a>";
    }).join("");
    document.getElementById("pn-units").innerHTML = PN.table([
      {key: "name", label: t("routes.units"), value: unitName},
      {key: "lineup", label: "1+2+N"},
      {key: "length_km", label: t("routes.length"), num: true, digits: 1},
      {key: "duration_min", label: t("routes.duration"), num: true, digits: 0},
      {key: "stops", label: t("routes.stops"), num: true}
    ], r.units, {id: "pn-units-table"});
    Array.prototype.forEach.call(document.querySelectorAll("#pn-units-table tbody tr"), function (tr, i) {
      tr.style.cursor = "pointer";
      tr.setAttribute("data-unit", r.units[i].unit_id);
      tr.addEventListener("click", function () { pick(r.units[i].unit_id); });
    });
    if (r.routes_geojson && files[r.routes_geojson]) return PN.json(files[r.routes_geojson]).then(draw);
  }
  /* one unit alone: its route bold, the others faint, only its stops, its timetable under the table;
     the same unit again (or "all units") shows them all */
  function pick(unit) {
    routes.eachLayer(function (l) { l.closeTooltip(); });  /* the last tooltip does not stay */
    picked = picked === unit ? null : unit;
    Object.keys(lines).forEach(function (u) {
      lines[u].setStyle({opacity: picked === null || u === picked ? 0.85 : 0.12, weight: u === picked ? 5 : 2.5});
      if (u === picked) lines[u].bringToFront();
    });
    Object.keys(stopsOf).forEach(function (u) {
      stopsOf[u].forEach(function (s) { if (picked === null || u === picked) s.marker.addTo(stops); else stops.removeLayer(s.marker); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("#pn-units-table tbody tr"), function (tr) {
      tr.classList.toggle("pn-picked", tr.getAttribute("data-unit") === picked);
    });
    var box = document.getElementById("pn-unit-timetable");
    document.getElementById("pn-map").setAttribute("data-picked", picked || "");
    if (picked === null) { box.innerHTML = ""; return; }
    var l = lines[picked];
    if (l) map.fitBounds(l.getBounds().pad(0.1));
    var rows = (stopsOf[picked] || []).map(function (s) { return s.p; }).sort(function (a, b) { return a.seq - b.seq; });
    /* the unit's own files (out of the plan's zip): for its phone, its GPS device, its printer */
    var own = unitZip ? [["gpx", "GPX"], ["kml", "KML"], ["html", t("routes.sheets")]].map(function (f) {
      var href = unitZip + (unitZip.indexOf("?") < 0 ? "?" : "&") + "unit=" + encodeURIComponent(picked) + "&format=" + f[0];
      return ' <a class="pn-btn secondary" id="pn-unit-dl-' + f[0] + '" href="' + PN.esc(href) + '"' +
        (f[0] === "html" ? ' target="_blank"' : " download") + ">" + PN.esc(f[1]) + "</a>";
    }).join("") : "";
    box.innerHTML = "<h4>" + PN.esc(t("routes.timetable", {name: nameOf[picked] || picked})) +
      ' <button class="pn-btn secondary" type="button" id="pn-unit-all">' + PN.esc(t("routes.all_units")) + "</button></h4>" +
      (own ? '<p class="pn-unit-files">' + PN.esc(t("routes.unit_files")) + own + "</p>" : "") +
      '<div class="pn-scroll">' + PN.table([
        {key: "seq", label: "#", num: true},
        {key: "arrive", label: t("routes.arrive"), html: function (x) { return PN.esc(hm(x.arrive)); }},
        {key: "depart", label: t("routes.depart"), html: function (x) { return PN.esc(hm(x.depart)); }},
        {key: "label", label: t("routes.stop")}
      ], rows, {id: "pn-timetable"}) + "</div>";
    document.getElementById("pn-unit-all").addEventListener("click", function () { pick(picked); });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var checked = Array.prototype.map.call(form.querySelectorAll("input[name=kinds]:checked"), function (i) { return i.value; });
    var params = {date: document.getElementById("pn-date").value, shift: document.getElementById("pn-shift").value,
                  team_minutes: parseFloat(document.getElementById("pn-team-minutes").value) || 120};
    if (checked.length) params.kinds = checked;
    var btn = document.getElementById("pn-plan"), bar = PN.progress(document.getElementById("pn-routes-job"));
    btn.disabled = true;
    PN.runJob("routes", params, bar.update).then(show).catch(function (e) { bar.fail(e.message); })
      .then(function () { btn.disabled = false; loadPlans(); });
  });

  /* The plans of the chosen day and shift, as recorded beside the workspace (they outlive the
     server): author, scope, status, time, files; submit and approve as the user may. */
  var when = PN.timeFormatter(cfg.timezone);
  var plansBox = document.getElementById("pn-plans-list"), plansErr = document.getElementById("pn-plans-error");
  function showRecord(rec) { return show({result: rec.result, files: rec.downloads}); }
  function fail(e) { plansErr.textContent = e.message; plansErr.hidden = false; }
  function act(rec, action) {
    plansErr.hidden = true;
    return PN.json(PN.url(rec.href + "/" + action), {method: "POST"}).then(function () { return loadPlans(); }).catch(fail);
  }
  /* A re-plan says what changed against the previous plan of its scope (units added, removed, changed). */
  function changesText(rec) {
    var c = rec.result && rec.result.changes;
    if (!c) return "";
    return '<br><small class="pn-plan-changes">' + PN.esc(t("routes.plan_changes", {
      added: c.added.length, removed: c.removed.length, changed: c.changed.length, same: c.same})) + "</small>";
  }

  function renderPlans(d, date, shift) {
    if (!d.records.length) {
      plansBox.innerHTML = '<p class="pn-sub" id="pn-plans-none">' + PN.esc(t("routes.plans_none", {date: date, shift: shift})) + "</p>";
      return;
    }
    var head = ["plan_created", "plan_author", "plan_station", "plan_status", "plan_units", "plan_files", ""].map(function (k) {
      return "<th>" + (k ? PN.esc(t("routes." + k)) : "") + "</th>";
    }).join("");
    plansBox.innerHTML = '<table class="pn-table" id="pn-plans-table"><thead><tr>' + head + "</tr></thead><tbody></tbody></table>";
    var body = plansBox.querySelector("tbody");
    d.records.forEach(function (rec) {
      var tr = document.createElement("tr");
      tr.id = "pn-plan-" + rec.id;
      tr.setAttribute("data-id", rec.id);
      tr.setAttribute("data-status", rec.status);
      var files = rec.actions.download ? rec.downloads.map(function (f) {
        return '<a href="' + PN.esc(PN.url(f.href)) + '"' + (/\.html$/.test(f.name) ? ' target="_blank"' : " download") + ">" +
          PN.esc(f.name.split(".").pop()) + "</a>";
      }).join(" ") : "";
      tr.innerHTML = "<td>" + PN.esc(when(rec.created_at)) + "</td><td class=\"pn-plan-author\">" + PN.esc(rec.author) + "</td><td>" +
        PN.esc(rec.station_id ? PN.nameOf("stations", rec.station_id) : t("routes.plan_district")) + '</td><td class="pn-plan-status">' + PN.esc(t("plan.status." + rec.status)) +
        changesText(rec) + "</td><td>" + (rec.units || []).length + '</td><td class="pn-plan-files">' + files + '</td><td class="pn-plan-actions"></td>';
      var cell = tr.querySelector(".pn-plan-actions");
      [["show", true], ["submit", rec.actions.submit], ["approve", rec.actions.approve]].forEach(function (a) {
        if (!a[1]) return;
        var b = document.createElement("button");
        b.type = "button"; b.className = "pn-btn secondary pn-plan-" + a[0];
        b.textContent = t("routes.plan_" + a[0]);
        b.addEventListener("click", function () {
          if (a[0] === "show") { plansErr.hidden = true; showRecord(rec); } else { b.disabled = true; act(rec, a[0]); }
        });
        cell.appendChild(b);
      });
      body.appendChild(tr);
    });
  }
  function loadPlans() {
    var date = document.getElementById("pn-date").value, shift = document.getElementById("pn-shift").value;
    return PN.json(PN.url("/api/v1/plans", {date: date, shift: shift})).then(function (d) {
      renderPlans(d, date, shift);
      plansBox.setAttribute("data-loaded", "1");
      return d;
    }).catch(fail);
  }
  document.getElementById("pn-plans-refresh").addEventListener("click", loadPlans);
  document.getElementById("pn-date").addEventListener("change", loadPlans);
  document.getElementById("pn-shift").addEventListener("change", loadPlans);
  /* the newest plan of the day and shift, if any (kept across restarts of the server) */
  loadPlans().then(function (d) {
    if (d && d.records.length && !document.querySelector("#pn-routes-job .pn-progress")) showRecord(d.records[0]);
  });
})();

/* patrol done against the plan of the chosen day and shift: GET /api/v1/field/dosage */
(function () {
  "use strict";
  var run = document.getElementById("pn-dosage-run");
  if (!run) return;
  function share(v) { return v === null || v === undefined ? "" : Math.round(v * 100) + "%"; }
  run.addEventListener("click", function () {
    var params = {date: document.getElementById("pn-date").value, shift: document.getElementById("pn-shift").value};
    var out = document.getElementById("pn-dosage");
    out.innerHTML = '<p class="pn-sub">' + PN.esc(PN.t("loading")) + "</p>";
    PN.json(PN.url("/api/v1/field/dosage", params)).then(function (r) {
      var L = r.labels;
      var units = PN.table([
        {key: "unit_name", label: L.unit_name}, {key: "pings", label: L.pings, num: true},
        {key: "route_km", label: L.route_km, num: true, digits: 1},
        {key: "route_share", label: L.route_share, num: true, html: function (x) { return PN.esc(share(x.route_share)); }},
        {key: "beat_main_share", label: L.beat_main_share, num: true, html: function (x) { return PN.esc(share(x.beat_main_share)); }}
      ], r.units, {id: "pn-dosage-units"});
      var hot = PN.table([
        {key: "unit_name", label: L.unit_name}, {key: "place", label: L.place},
        {key: "planned_min", label: L.planned_min, num: true, digits: 1}, {key: "actual_min", label: L.actual_min, num: true, digits: 1},
        {key: "visits", label: L.visits, num: true}, {key: "first_arrival", label: L.first_arrival}
      ], r.hotspots, {id: "pn-dosage-hotspots"});
      var links = ["csv", "xlsx"].map(function (f) {
        return '<a class="pn-btn secondary" href="' + PN.esc(PN.url("/api/v1/field/dosage", Object.assign({format: f}, params))) + '">' + f.toUpperCase() + "</a>";
      }).join(" ");
      var worth = r.worth ? '<p class="pn-worth" id="pn-dosage-worth">' + PN.esc(r.worth.line) + '</p><details class="pn-sub"><summary>' +
        PN.esc(PN.t("routes.worth_sources")) + "</summary><ul>" + r.worth.sources.map(function (x) { return "<li>" + PN.esc(x) + "</li>"; }).join("") +
        "</ul></details>" : "";
      out.innerHTML = "<p><strong>" + PN.esc(r.title) + "</strong><br>" + PN.esc(r.tracks_line) + "</p>" + worth + "<p>" + links + "</p>" +
        "<h4>" + PN.esc(PN.t("routes.dosage_units")) + '</h4><div class="pn-scroll">' + units + "</div>" +
        "<h4>" + PN.esc(PN.t("routes.dosage_hotspots")) + '</h4><div class="pn-scroll">' + hot + "</div>";
    }).catch(function (e) { out.innerHTML = '<p class="pn-error">' + PN.esc(e.message) + "</p>"; });
  });
})();

/* one-shift links for the units of the chosen day and shift: POST/GET/DELETE /api/v1/field/links; the
   QR codes (SVG made by the server) are shown once, to print or send */
(function () {
  "use strict";
  var make = document.getElementById("pn-links-make");
  if (!make) return;
  var clock = PN.timeFormatter(PN.cfg.timezone);
  function when(iso) { return iso ? clock(iso).slice(0, 16) : ""; }
  function shown() { return {date: document.getElementById("pn-date").value, shift: document.getElementById("pn-shift").value}; }
  function fail(e) { var el = document.getElementById("pn-links-error"); el.hidden = !e; el.textContent = e ? e.message : ""; }
  function list() {
    return PN.json(PN.url("/api/v1/field/links", shown())).then(function (r) {
      var now = Date.now();
      document.getElementById("pn-links-list").innerHTML = r.links.length ? "<h4>" + PN.esc(PN.t("routes.links_list")) + '</h4><div class="pn-scroll">' + PN.table([
        {key: "unit_id", label: PN.t("routes.links_unit"), html: function (x) { return PN.esc(x.unit_id + " " + (x.unit_name || "")); }},
        {key: "created_at", label: PN.t("routes.links_made"), html: function (x) { return PN.esc(when(x.created_at)); }},
        {key: "opened_at", label: PN.t("routes.links_opened"), html: function (x) { return PN.esc(when(x.opened_at)); }},
        {key: "expires_at", label: PN.t("routes.links_until"), html: function (x) { return PN.esc(when(x.expires_at)); }},
        {key: "state", label: PN.t("routes.links_state"), html: function (x) {
          if (x.revoked_at) return PN.esc(PN.t("routes.links_dead"));
          if (new Date(x.expires_at).getTime() <= now) return PN.esc(PN.t("routes.links_expired"));
          return PN.esc(PN.t("routes.links_live")) + ' <button class="pn-btn secondary" type="button" data-revoke="' + PN.esc(x.link_id) + '">' +
                 PN.esc(PN.t("routes.links_revoke")) + "</button>";
        }}
      ], r.links, {id: "pn-links-table"}) + "</div>" : "";
    }).catch(fail);
  }
  make.addEventListener("click", function () {
    fail(null);
    var q = shown();
    PN.json("/api/v1/field/links", {method: "POST", headers: {"Content-Type": "application/json"},
                                    body: JSON.stringify({date: q.date, shift: q.shift})}).then(function (r) {
      var until = when(r.expires_at);
      /* the SVG is the server's own (segno), its title escaped there; the rest is text */
      document.getElementById("pn-link-cards").innerHTML = r.links.map(function (x) {
        return '<figure class="pn-qr-card" data-unit="' + PN.esc(x.unit_id) + '" data-link="' + PN.esc(x.link_id) + '">' + x.qr_svg +
          "<figcaption><strong>" + PN.esc((x.name || "") + " " + x.unit_id) + "</strong><br>" +
          PN.esc(PN.t("routes.links_card", {day: r.day, shift: r.shift, until: until})) +
          '<br><span class="pn-qr-url">' + PN.esc(x.url) + "</span></figcaption></figure>";
      }).join("");
      document.getElementById("pn-links-print").hidden = !r.links.length;
      list();
    }).catch(fail);
  });
  document.getElementById("pn-links-print").addEventListener("click", function () {
    document.body.classList.add("pn-printing-cards");
    window.print();
    document.body.classList.remove("pn-printing-cards");
  });
  document.getElementById("pn-links-list").addEventListener("click", function (ev) {
    var id = ev.target.getAttribute && ev.target.getAttribute("data-revoke");
    if (!id) return;
    PN.json("/api/v1/field/links/" + encodeURIComponent(id), {method: "DELETE"}).then(function () {
      var card = document.querySelector('.pn-qr-card[data-link="' + id + '"]');
      if (card) card.remove();
      list();
    }).catch(fail);
  });
  document.getElementById("pn-date").addEventListener("change", list);
  document.getElementById("pn-shift").addEventListener("change", list);
  list();
})();
