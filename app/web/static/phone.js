/* patrolnet: the officer's phone page (/m/). One unit's plan of a shift on a map of the streets
   around it, the next stop and a dwell timer, the phone's GPS track kept on the phone and sent to
   /api/v1/field/tracks (when back online, if the network was away). */
(function () {
  "use strict";
  var CFG = PN.cfg, TXT = CFG.phone || {};
  var KEEP = "pn-phone-v1";   /* localStorage: the chosen task, its plan, the pings not yet sent */
  var SEND_EVERY_MS = 60000, MIN_GAP_MS = 5000;
  function say(key, fields) {
    var s = TXT[key] || key;
    Object.keys(fields || {}).forEach(function (k) { s = s.split("{" + k + "}").join(fields[k]); });
    return s;
  }
  function $(id) { return document.getElementById(id); }
  function load() { try { return JSON.parse(localStorage.getItem(KEEP)) || {}; } catch (e) { return {}; } }
  var kept = load();
  kept.pings = kept.pings || [];
  function save() { try { localStorage.setItem(KEEP, JSON.stringify(kept)); } catch (e) { /* full: keep in memory */ } }
  var clock = PN.timeFormatter(CFG.timezone);
  function hhmm(iso) { return iso ? clock(iso).slice(11, 16) : ""; }

  /* -- the map ------------------------------------------------------------------------------ */
  var map = PN.map("pn-map");
  var drawn = L.layerGroup().addTo(map), streets = L.layerGroup().addTo(map), me = null;
  /* the named streets along the route come with the plan (kept with it for offline use) */
  function drawStreets(fc) {
    streets.clearLayers();
    if (!fc || !fc.features) return;
    var longest = {}, main = CFG.main_road_classes || [];
    L.geoJSON(fc, {style: function (f) { var m = main.indexOf(f.properties.highway) >= 0; return {color: m ? "#9aa5b1" : "#c9d1d9", weight: m ? 4 : 2}; },
                   onEachFeature: function (f, layer) {
                     var n = f.properties.name; if (!n) return;
                     var len = layer.getLatLngs().length;
                     if (!longest[n] || longest[n].len < len) longest[n] = {len: len, layer: layer};
                   }}).addTo(streets);
    Object.keys(longest).forEach(function (n) {
      longest[n].layer.bindTooltip(n, {permanent: true, direction: "center", className: "pn-street-label"});
    });
    if (streets.bringToBack) streets.bringToBack();
  }
  function drawPlan(plan) {
    drawn.clearLayers();
    var all = L.featureGroup();
    plan.parts.forEach(function (part) {
      L.geoJSON(part.geometry, {style: {color: "#d62728", weight: 5, opacity: 0.85}}).addTo(all);
      part.stops.forEach(function (s) {
        L.circleMarker([s.lat, s.lon], {radius: 9, color: "#1f3a5f", fillColor: s.hotspot ? "#f28e2b" : "#ffffff", fillOpacity: 1, weight: 2})
          .bindTooltip(String(s.seq), {permanent: true, direction: "center", className: "pn-stop-no"})
          .bindPopup(PN.esc(s.label) + "<br>" + PN.esc(hhmm(s.arrive)) + "–" + PN.esc(hhmm(s.depart))).addTo(all);
      });
    });
    all.addTo(drawn);
    if (all.getLayers().length) map.fitBounds(all.getBounds(), {padding: [20, 20]});
    drawStreets(plan.streets);
    $("pn-m-unit-name").textContent = plan.name || plan.unit_id;
    var list = $("pn-m-stops");
    list.textContent = "";
    stopsOf(plan).forEach(function (s) {
      var li = document.createElement("li");
      li.textContent = say("stop_row", {arrive: hhmm(s.arrive), depart: hhmm(s.depart), label: s.label});
      if (s.hotspot) li.className = "pn-m-hot";
      list.appendChild(li);
    });
    $("pn-m-next").hidden = false;
    $("pn-m-rec").disabled = false;
    showNext();
  }
  function stopsOf(plan) { return [].concat.apply([], plan.parts.map(function (p) { return p.stops; })); }
  function showNext() {
    if (!kept.plan) return;
    var now = Date.now();
    var next = stopsOf(kept.plan).filter(function (s) { return new Date(s.depart).getTime() > now; })[0];
    $("pn-m-next-place").textContent = next ? next.label : say("done");
    $("pn-m-next-time").textContent = next ? say("arrive_at", {arrive: hhmm(next.arrive), minutes: Math.round(next.duration_min || 0)}) : "";
  }
  setInterval(showNext, 15000);

  /* -- choosing the task ---------------------------------------------------------------------- */
  function msg(text, error) { var el = $("pn-m-msg"); el.textContent = text || ""; el.className = "pn-m-msg" + (error ? " pn-error" : ""); }
  /* a one-shift link (or a bookmark) names the unit, day and shift: the task opens by itself */
  var asked = new URLSearchParams(location.search);
  function loadUnits() {
    var sel = $("pn-m-unit");
    msg(say("loading"));
    return PN.json(PN.url("/api/v1/field/units", {date: $("pn-m-date").value, shift: $("pn-m-shift").value})).then(function (body) {
      sel.textContent = "";
      body.units.forEach(function (u) {
        var o = document.createElement("option");
        o.value = u.unit_id; o.textContent = u.unit_id + " " + (u.name || "");
        if (kept.unit === u.unit_id) o.selected = true;
        sel.appendChild(o);
      });
      sel.disabled = !body.units.length;
      msg(body.record ? say("units_of", {record: body.record, status: body.status, n: body.units.length})
                      : say("no_plan", {day: body.day, shift: body.shift}));
      /* one unit only (an officer), or the one the link names: open it unless it is open already */
      var only = body.units.length === 1 ? body.units[0].unit_id : null, named = asked.get("unit");
      var want = named && body.units.some(function (u) { return u.unit_id === named; }) ? named : only;
      if (want && !(kept.plan && kept.plan.unit_id === want && kept.plan.day === body.day && kept.plan.shift === body.shift)) {
        sel.value = want; openTask();
      }
    }).catch(function (e) { sel.textContent = ""; sel.disabled = true; msg(e.message, true); });
  }
  $("pn-m-date").addEventListener("change", loadUnits);
  $("pn-m-shift").addEventListener("change", loadUnits);
  $("pn-m-form").addEventListener("submit", function (ev) { ev.preventDefault(); openTask(); });
  function openTask() {
    var unit = $("pn-m-unit").value;
    if (!unit) return;
    msg(say("loading"));
    PN.json(PN.url("/api/v1/field/plan", {date: $("pn-m-date").value, shift: $("pn-m-shift").value, unit: unit})).then(function (plan) {
      kept.unit = unit; kept.plan = plan; save();
      msg("");
      $("pn-m-pick").open = false;
      drawPlan(plan);
    }).catch(function (e) { msg(e.message, true); });
  }

  /* -- the dwell timer ------------------------------------------------------------------------ */
  var timer = null;
  function tick(end) {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    var el = $("pn-m-timer");
    el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left === 0) {
      stopTimer();
      el.textContent = say("timer_done");
      if (navigator.vibrate) navigator.vibrate([300, 200, 300]);
    }
  }
  function stopTimer() {
    clearInterval(timer); timer = null;
    $("pn-m-timer").setAttribute("data-running", "0");
    $("pn-m-timer-btn").textContent = say("timer_start");
  }
  $("pn-m-timer-btn").addEventListener("click", function () {
    if (timer) { stopTimer(); $("pn-m-timer").textContent = CFG.dwell_min + ":00"; return; }
    var end = Date.now() + CFG.dwell_min * 60000;
    $("pn-m-timer").setAttribute("data-running", "1");
    $("pn-m-timer-btn").textContent = say("timer_stop");
    tick(end);
    timer = setInterval(function () { tick(end); }, 1000);
  });

  /* -- the track ------------------------------------------------------------------------------ */
  var watch = null, sending = false;
  function trackMsg(text, error) { var el = $("pn-m-track-msg"); el.textContent = text || ""; el.className = "pn-m-msg" + (error ? " pn-error" : ""); }
  function showCount() {
    var n = kept.pings.length;
    $("pn-m-count").textContent = String(n); $("pn-m-count").setAttribute("data-n", String(n));
    $("pn-m-send").disabled = !n || !kept.unit;
  }
  function onFix(pos) {
    var last = kept.pings[kept.pings.length - 1];
    if (last && Date.now() - new Date(last.t).getTime() < MIN_GAP_MS) return;
    var p = {t: new Date(Date.now()).toISOString(), lon: pos.coords.longitude, lat: pos.coords.latitude};  /* the phone's clock */
    kept.pings.push(p); save(); showCount();
    if ($("pn-m-track-msg").classList.contains("pn-error") && !sending) trackMsg("");  /* a fix again: the error is over */
    var ll = [p.lat, p.lon];
    if (me) me.setLatLng(ll); else me = L.circleMarker(ll, {radius: 7, color: "#ffffff", fillColor: "#1f77b4", fillOpacity: 1, weight: 3}).addTo(map);
  }
  $("pn-m-rec").addEventListener("click", function () {
    var btn = $("pn-m-rec");
    if (watch !== null) {
      navigator.geolocation.clearWatch(watch); watch = null;
      btn.setAttribute("data-on", "0"); btn.textContent = say("rec_start");
      send();
      return;
    }
    if (!navigator.geolocation) { trackMsg(say("no_gps", {why: "geolocation"}), true); return; }
    /* a refusal or no position at all is said; a slow fix (timeout) is not: the next one comes */
    watch = navigator.geolocation.watchPosition(onFix, function (err) { if (err.code !== 3) trackMsg(say("no_gps", {why: err.message || err.code}), true); },
                                                {enableHighAccuracy: true, maximumAge: 0, timeout: 30000});
    btn.setAttribute("data-on", "1"); btn.textContent = say("rec_stop");
  });
  function send() {
    if (sending || !kept.pings.length || !kept.unit) return Promise.resolve();
    if (!navigator.onLine) { trackMsg(say("offline")); return Promise.resolve(); }
    sending = true;
    var batch = kept.pings.slice();
    return PN.fetch(PN.url("/api/v1/field/tracks"), {method: "POST", headers: {"Content-Type": "application/json"},
                                                      body: JSON.stringify({unit_id: kept.unit, pings: batch})})
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (body) { return {ok: r.ok, status: r.status, body: body}; }); })
      .then(function (res) {
        var looked = res.body && res.body.kind === "import";   /* the server read them: sending again changes nothing */
        if (res.ok || looked) {
          kept.pings = kept.pings.slice(batch.length); save(); showCount();
          $("pn-m-send").setAttribute("data-sent", String((+$("pn-m-send").getAttribute("data-sent") || 0) + (res.ok ? batch.length : 0)));
        }
        if (res.ok) trackMsg(say("sent", {n: batch.length}));
        else trackMsg((looked ? res.body.message || res.body.error : PN.detail(res.body)) || String(res.status), true);
      })
      .catch(function () { trackMsg(say("offline")); })
      .then(function () { sending = false; });
  }
  $("pn-m-send").addEventListener("click", send);
  setInterval(function () { if (watch !== null) send(); }, SEND_EVERY_MS);
  function showNet() {
    var el = $("pn-m-net"); el.setAttribute("data-online", navigator.onLine ? "1" : "0");
    el.textContent = navigator.onLine ? "" : say("offline");
    if (navigator.onLine) send();
  }
  window.addEventListener("online", showNet);
  window.addEventListener("offline", showNet);

  /* -- start: what the phone kept, then the service worker for offline use --------------------- */
  /* signing out forgets the task and the pings on this phone (asked first when pings are not sent) */
  var out = $("pn-logout");
  if (out) out.addEventListener("click", function (ev) {
    if (kept.pings.length && !window.confirm(say("logout_unsent", {n: kept.pings.length}))) { ev.stopImmediatePropagation(); return; }
    try { localStorage.removeItem(KEEP); } catch (e) { /* nothing kept */ }
    if (window.caches) caches.keys().then(function (keys) { keys.forEach(function (k) { if (k.indexOf("pn-phone-") === 0) caches.delete(k); }); });
  }, true);
  showCount();
  if (asked.get("date")) $("pn-m-date").value = asked.get("date");
  if (asked.get("shift")) $("pn-m-shift").value = asked.get("shift");
  if (kept.plan && (!asked.get("unit") || asked.get("unit") === kept.plan.unit_id)) {
    $("pn-m-date").value = kept.plan.day; $("pn-m-shift").value = kept.plan.shift; drawPlan(kept.plan); $("pn-m-pick").open = false;
  }
  loadUnits();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/m/sw.js", {scope: "/m/"}).catch(function () { /* no offline copy */ });
})();
