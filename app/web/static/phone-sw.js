/* patrolnet: the phone page's service worker. It keeps the page, its scripts and styles, and the
   last plan and units asked for, so that an officer who loses the network still has the task; the
   page itself keeps the GPS pings until they are sent. Pages and API: network first, the kept copy
   when offline; scripts and styles: the kept copy first. */
"use strict";
var CACHE = "pn-phone-v1";
self.addEventListener("install", function (ev) { self.skipWaiting(); });
self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("pn-phone-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
function keep(req, res) {
  if (res && res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { c.put(req, copy); }); }
  return res;
}
self.addEventListener("fetch", function (ev) {
  var req = ev.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  var stat = url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/assets/") === 0;
  var mine = url.pathname.indexOf("/m/") === 0 || url.pathname.indexOf("/api/v1/field/") === 0 ||
             url.pathname.indexOf("/api/v1/layers/road_edges") === 0 || url.pathname === "/api/v1/auth/me";
  if (stat) {
    ev.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req).then(function (r) { return keep(req, r); }); }));
  } else if (mine) {
    ev.respondWith(fetch(req).then(function (r) { return keep(req, r); })
      .catch(function () { return caches.match(req).then(function (hit) { return hit || Response.error(); }); }));
  }
});
