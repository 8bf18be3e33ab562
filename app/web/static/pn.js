/* patrolnet: helpers shared by the pages (served locally; no framework, no CDN). */
(function () {
  "use strict";
  var cfgEl = document.getElementById("pn-config");
  var CFG = cfgEl ? JSON.parse(cfgEl.textContent) : {ui: {}, lang: document.documentElement.lang};
  var PN = window.PN = {cfg: CFG};

  /* text of ui.<key>, with {name} fields */
  PN.t = function (key, fields) {
    var s = (CFG.ui && CFG.ui[key]) || key;
    if (fields) Object.keys(fields).forEach(function (k) { s = s.split("{" + k + "}").join(fields[k]); });
    return s;
  };
  PN.esc = function (v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  };
  /* A formatter of ISO times as "YYYY-MM-DD HH:MM[:SS]" in the time zone tz (the workspace's); the
     browser's own zone when tz is empty or unknown to the browser (formatter.zone is then null). */
  PN.timeFormatter = function (tz, seconds) {
    var zone = tz || null;
    try { new Intl.DateTimeFormat("en-CA", {timeZone: zone || undefined}); } catch (e) { zone = null; }
    var opts = {timeZone: zone || undefined, year: "numeric", month: "2-digit", day: "2-digit",
                hour: "2-digit", minute: "2-digit", hourCycle: "h23"};
    if (seconds) opts.second = "2-digit";
    var f = new Intl.DateTimeFormat("en-CA", opts);
    var format = function (iso) {
      if (!iso) return "";
      var d = new Date(iso);
      if (isNaN(d.getTime())) return String(iso);
      var p = {};
      f.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
      return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + (seconds ? ":" + p.second : "");
    };
    format.zone = zone;
    return format;
  };
  PN.fmt = function (v, digits) {
    if (v === null || v === undefined || v === "") return "";
    if (typeof v === "number") return digits === undefined ? v.toLocaleString() : v.toFixed(digits);
    return String(v);
  };
  PN.url = function (path, params) {
    var q = [];
    params = params || {};
    if (CFG.lang && !("lang" in params)) params.lang = CFG.lang;
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === null || v === undefined || v === "") return;
      (Array.isArray(v) ? v : [v]).forEach(function (x) { q.push(encodeURIComponent(k) + "=" + encodeURIComponent(x)); });
    });
    return path + (q.length ? (path.indexOf("?") < 0 ? "?" : "&") + q.join("&") : "");
  };
  /* the signed-in user (GET /api/v1/auth/me): badge, pages, and the CSRF token that every
     state-changing request carries in its X-CSRF-Token header */
  PN.me = fetch("/api/v1/auth/me" + (CFG.lang ? "?lang=" + encodeURIComponent(CFG.lang) : ""), {credentials: "same-origin"})
    .then(function (r) {
      if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); }
      return r.ok ? r.json() : null;
    }).catch(function () { return null; });
  PN.fetch = function (url, opts) {
    opts = opts || {};
    var method = (opts.method || "GET").toUpperCase();
    if (method === "GET" || method === "HEAD") return fetch(url, opts);
    return PN.me.then(function (me) {
      var headers = new Headers(opts.headers || {});
      if (me && me.csrf_token) headers.set(me.csrf_header || "X-CSRF-Token", me.csrf_token);
      return fetch(url, Object.assign({}, opts, {headers: headers, credentials: "same-origin"}));
    });
  };
  /* phones: the menu button opens and closes the list of pages */
  var menu = document.getElementById("pn-menu");
  if (menu) menu.addEventListener("click", function () {
    var nav = document.getElementById("pn-nav"), open = !nav.classList.contains("pn-open");
    nav.classList.toggle("pn-open", open);
    menu.setAttribute("aria-expanded", open ? "true" : "false");
  });
  PN.me.then(function (me) {
    if (!me) return;
    var badge = document.getElementById("pn-user");
    if (badge) {
      var link = document.createElement("a");
      link.href = PN.url("/account"); link.className = "pn-user-link"; link.id = "pn-account-link";
      link.textContent = me.display_name || me.username;
      badge.textContent = "";
      badge.appendChild(link);
      var role = document.createElement("span");
      role.className = "pn-role"; role.textContent = me.role_label;
      badge.appendChild(role);
      if (me.demo) {
        var tag = document.createElement("span");
        tag.className = "pn-demo-tag"; tag.textContent = badge.getAttribute("data-label-demo") || "demo";
        badge.appendChild(tag);
      }
      badge.setAttribute("data-role", me.role);
    }
    document.querySelectorAll("[data-nav]").forEach(function (a) {
      if (me.pages.indexOf(a.getAttribute("data-nav")) < 0) a.hidden = true;
    });
    /* buttons of work the role may not start are disabled, saying which permission they need */
    document.querySelectorAll("[data-needs]").forEach(function (el) {
      var need = el.getAttribute("data-needs");
      if (me.permissions.indexOf(need) >= 0) return;
      el.disabled = true;
      el.classList.add("pn-no-permission");
      el.title = (me.role_label || me.role) + " · " + ((me.permission_labels || {})[need] || need);
      el.setAttribute("data-no-permission", need);
    });
    var out = document.getElementById("pn-logout");
    if (out) {
      out.hidden = false;
      out.addEventListener("click", function () {
        PN.fetch("/logout", {method: "POST"}).then(function () { location.href = "/login?lang=" + encodeURIComponent(CFG.lang || ""); });
      });
    }
  });
  PN.json = function (url, opts) {
    return PN.fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {detail: r.status + " " + r.statusText}; }).then(function (body) {
        if (!r.ok) { var e = new Error(PN.detail(body) || (r.status + "")); e.status = r.status; e.body = body; throw e; }
        return body;
      });
    });
  };
  PN.detail = function (body) {
    if (!body) return "";
    if (typeof body.message === "string" && body.message) return body.message;  /* said in the page's language */
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map(function (d) { return (d.loc || []).join(".") + ": " + d.msg; }).join("; ");
    return JSON.stringify(body);
  };

  /* submit a job and follow it: onUpdate(job) on every poll; resolves with the finished job */
  PN.runJob = function (kind, params, onUpdate) {
    return PN.json(PN.url("/api/v1/jobs/" + kind), {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(params || {})
    }).then(function (job) { return PN.follow(job, onUpdate); });
  };
  PN.follow = function (job, onUpdate) {
    return new Promise(function (resolve, reject) {
      function poll(j) {
        if (onUpdate) onUpdate(j);
        if (j.status === "done") return resolve(j);
        if (j.status === "failed") { var e = new Error(j.message || j.error || "failed"); e.job = j; return reject(e); }
        setTimeout(function () { PN.json(j.href).then(poll, reject); }, 400);
      }
      poll(job);
    });
  };
  /* a progress bar + status line inside el */
  PN.progress = function (el) {
    el.innerHTML = '<div class="pn-progress"><div></div></div><div class="pn-status"></div>';
    el.setAttribute("data-status", "submitting");
    var bar = el.querySelector(".pn-progress > div"), st = el.querySelector(".pn-status");
    return {
      update: function (j) {
        bar.style.width = Math.round((j.progress || 0) * 100) + "%";
        var s = PN.t("job." + j.status) + (j.stage ? " · " + (j.stage_label || j.stage) : "") + " · " + Math.round((j.progress || 0) * 100) + "%";
        if (j.elapsed_s) s += " · " + PN.t("job.elapsed", {s: j.elapsed_s.toFixed(1)});
        st.textContent = s;
        el.setAttribute("data-status", j.status);
        /* damaged layers repaired or skipped on the way (GeometryWarning): say so */
        var warn = (j.result && (j.result.warnings_text || j.result.warnings)) || [];
        if (warn.length && !el.querySelector(".pn-job-warnings")) {
          var box = document.createElement("div");
          box.className = "pn-note pn-job-warnings";
          warn.forEach(function (w) { var p = document.createElement("div"); p.textContent = w; box.appendChild(p); });
          el.appendChild(box);
        }
      },
      fail: function (msg) { st.innerHTML = '<span class="pn-error">' + PN.esc(msg) + "</span>"; el.setAttribute("data-status", "failed"); }
    };
  };

  /* a Leaflet map on canvas, fitted to the workspace's area of work */
  PN.map = function (id) {
    var m = L.map(id, {preferCanvas: true, zoomControl: true, maxZoom: 20});
    /* one canvas for every vector layer (so clicks reach whichever layer is hit); the drawing
       order is restored with PN.stack whatever order the data arrive in */
    m.pnStack = [];
    m.on("overlayadd", function () { PN.stack(m); });
    var e = CFG.extent;
    if (e) m.fitBounds([[e[1], e[0]], [e[3], e[2]]]); else m.setView([27.82, 114.93], 13);
    L.control.scale({imperial: false}).addTo(m);
    if (document.body.getAttribute("data-page") !== "phone") { PN.searchBox(m); PN.streetLabels(m); }
    return m;
  };
  /* a search box on every map page: a neighborhood, road, station or community by its name */
  PN.searchBox = function (map) {
    var ctl = L.control({position: "topleft"});
    ctl.onAdd = function () {
      var box = L.DomUtil.create("div", "pn-search leaflet-bar");
      box.innerHTML = '<input type="search" id="pn-search" autocomplete="off" placeholder="' + PN.esc(PN.t("search.placeholder")) + '">' +
        '<ul id="pn-search-results" hidden></ul>';
      L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
      var input = box.querySelector("input"), list = box.querySelector("ul");
      function go(r) {
        map.fitBounds([[r.bbox[1], r.bbox[0]], [r.bbox[3], r.bbox[2]]], {maxZoom: 17, padding: [20, 20]});
        list.hidden = true; input.value = r.name;
        map.getContainer().setAttribute("data-found", r.kind + ":" + r.id);
      }
      input.addEventListener("keydown", function (ev) {
        if (ev.key !== "Enter") return;
        ev.preventDefault();
        var q = input.value.trim();
        if (!q) { list.hidden = true; return; }
        PN.json(PN.url("/api/v1/search", {q: q})).then(function (d) {
          list.innerHTML = "";
          if (!d.results.length) { list.innerHTML = "<li class=\"pn-sub\">" + PN.esc(PN.t("search.none", {q: q})) + "</li>"; list.hidden = false; return; }
          if (d.results.length === 1) { go(d.results[0]); return; }
          d.results.forEach(function (r) {
            var li = document.createElement("li");
            li.textContent = r.name + " · " + r.kind_label;
            li.addEventListener("click", function () { go(r); });
            list.appendChild(li);
          });
          list.hidden = false;
        }).catch(function (e) { list.innerHTML = "<li class=\"pn-error\">" + PN.esc(e.message) + "</li>"; list.hidden = false; });
      });
      return box;
    };
    ctl.addTo(map);
  };
  /* place names on the map from the workspace itself (no basemap needed), by zoom: stations from 12,
     neighborhoods from 15, roads from 16 (each road name once, on its longest piece in view). An
     English page shows a place's English name where the workspace has one, else its Chinese name
     with the English kind: "北湖路 (road)". */
  var LABEL_ZOOM = {stations: 12, neighborhoods: 15, road_edges: 16};
  function placeName(p, kind) {
    if (PN.cfg.lang !== "en") return p.name;
    if (p.name_en) return p.name_en;
    return p.name + " (" + PN.t("label." + kind) + ")";
  }
  function middle(geom) {
    var pts = geom.type === "Point" ? [geom.coordinates]
      : geom.type === "LineString" ? geom.coordinates
      : geom.type === "Polygon" ? geom.coordinates[0]
      : geom.type === "MultiPolygon" ? geom.coordinates[0][0] : null;
    if (!pts || !pts.length) return null;
    if (geom.type === "LineString") return pts[Math.floor(pts.length / 2)];
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    pts.forEach(function (c) { x0 = Math.min(x0, c[0]); x1 = Math.max(x1, c[0]); y0 = Math.min(y0, c[1]); y1 = Math.max(y1, c[1]); });
    return [(x0 + x1) / 2, (y0 + y1) / 2];
  }
  PN.streetLabels = function (map) {
    var layers = Object.keys(LABEL_ZOOM).filter(function (l) { return PN.has(l); });
    if (!layers.length) return;
    var groups = {}, pending = {};
    layers.forEach(function (l) { groups[l] = L.layerGroup().addTo(map); });
    var attr = {road_edges: "data-street-labels", neighborhoods: "data-neighborhood-labels", stations: "data-station-labels"};
    var kind = {road_edges: "road", neighborhoods: "neighborhood", stations: "station"};
    function load(layer) {
      var labels = groups[layer];
      if (map.getZoom() < LABEL_ZOOM[layer]) { labels.clearLayers(); map.getContainer().setAttribute(attr[layer], "0"); return; }
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
      function ask(props) {
        return PN.json(PN.url("/api/v1/layers/" + layer, {bbox: bbox, properties: props, simplify_m: 2, limit: 5000}));
      }
      /* a layer without English names (an older workspace): the Chinese ones */
      var mine = pending[layer] = layer === "road_edges" ? ask("name") : ask("name,name_en").catch(function () { return ask("name"); });
      mine.then(function (fc) {
        if (mine !== pending[layer]) return;
        var at = {}, size = {};
        fc.features.forEach(function (f) {
          var p = f.properties || {}, g = f.geometry;
          if (!p.name || !g) return;
          if (layer === "road_edges" && g.type !== "LineString") return;
          var name = placeName(p, kind[layer]), n = g.type === "LineString" ? g.coordinates.length : 1;
          if (!at[name] || size[name] < n) { at[name] = middle(g); size[name] = n; }
        });
        labels.clearLayers();
        Object.keys(at).forEach(function (n) {
          if (!at[n]) return;
          L.tooltip({permanent: true, direction: "center", className: "pn-place-label " + (layer === "road_edges" ? "pn-street-label" : "pn-" + kind[layer] + "-label"), interactive: false})
            .setLatLng([at[n][1], at[n][0]]).setContent(PN.esc(n)).addTo(labels);
        });
        map.getContainer().setAttribute(attr[layer], Object.keys(at).length);
      }).catch(function () { /* labels are a help, not the page */ });
    }
    var timer = null;
    map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(function () { layers.forEach(load); }, 250); });
  };
  /* a layer from /api/v1/layers/{name} (all pages of it), simplified for the screen */
  PN.layer = function (name, opts) {
    opts = opts || {};
    var params = {limit: 10000, offset: 0};
    if (opts.properties !== undefined) params.properties = opts.properties;
    if (opts.simplify_m) params.simplify_m = opts.simplify_m;
    if (opts.bbox) params.bbox = opts.bbox;
    var features = [];
    function page(offset) {
      params.offset = offset;
      return PN.json(PN.url("/api/v1/layers/" + name, params)).then(function (fc) {
        features = features.concat(fc.features);
        if (fc.numberReturned === params.limit && offset + fc.numberReturned < fc.numberMatched) return page(offset + params.limit);
        return {type: "FeatureCollection", features: features, numberMatched: fc.numberMatched};
      });
    }
    return page(0);
  };
  /* draw the layers of map.pnStack bottom to top */
  PN.stack = function (map, layers) {
    if (layers) map.pnStack = layers;
    map.pnStack.forEach(function (l) { if (l && map.hasLayer(l) && l.bringToFront) l.bringToFront(); });
  };
  PN.has = function (name) { return !!(CFG.layers && CFG.layers[name]); };
  /* a station's, a community's or a camera kind's name in the page's language ("stations", "S07" ->
     北湖路派出所), the code itself when the workspace names none */
  PN.nameOf = function (what, code) {
    var names = (CFG.names && CFG.names[what]) || {};
    return code === null || code === undefined ? "" : (names[code] || String(code));
  };
  PN.legend = function (map, title, items) {
    var ctl = L.control({position: "bottomright"});
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "pn-legend");
      div.id = "pn-legend";
      ctl.div = div;
      ctl.set(items);
      return div;
    };
    ctl.set = function (its) {
      if (!ctl.div) return;
      ctl.div.innerHTML = "<b>" + PN.esc(title) + "</b>" + its.map(function (it) {
        return '<div><i class="' + (it[2] || "") + '" style="background:' + it[1] + '"></i>' + PN.esc(it[0]) + "</div>";
      }).join("");
    };
    ctl.addTo(map);
    return ctl;
  };
  PN.palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf"];
  PN.color = function (i) { return PN.palette[((i % PN.palette.length) + PN.palette.length) % PN.palette.length]; };
  PN.table = function (columns, rows, opts) {
    opts = opts || {};
    var h = '<table class="pn-table pn-sortable"' + (opts.id ? ' id="' + opts.id + '"' : "") + "><thead><tr>" +
      columns.map(function (c) { return '<th' + (c.num ? ' class="num" data-type="num"' : "") + ">" + PN.esc(c.label) + "</th>"; }).join("") +
      "</tr></thead><tbody>" + rows.map(function (r) {
        return "<tr>" + columns.map(function (c) {
          var v = c.value ? c.value(r) : r[c.key];
          var html = c.html ? c.html(r) : PN.esc(PN.fmt(v, c.digits));
          return "<td" + (c.num ? ' class="num"' : "") + (v !== null && v !== undefined ? ' data-value="' + PN.esc(v) + '"' : "") + ">" + html + "</td>";
        }).join("") + "</tr>";
      }).join("") + "</tbody></table>";
    return h;
  };

  /* click a header of a .pn-sortable table to sort by it */
  document.addEventListener("click", function (ev) {
    var th = ev.target.closest && ev.target.closest("table.pn-sortable th");
    if (!th) return;
    var table = th.closest("table"), idx = Array.prototype.indexOf.call(th.parentNode.children, th);
    var num = th.getAttribute("data-type") === "num";
    var asc = !th.classList.contains("asc");
    Array.prototype.forEach.call(th.parentNode.children, function (o) { o.classList.remove("asc", "desc"); });
    th.classList.add(asc ? "asc" : "desc");
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    function key(r) {
      var c = r.cells[idx]; if (!c) return "";
      var v = c.hasAttribute("data-value") ? c.getAttribute("data-value") : c.textContent.trim();
      if (num) { var f = parseFloat(String(v).replace(/[,%+]/g, "")); return isNaN(f) ? Infinity : f; }
      return v;
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var r = num ? (x - y) : String(x).localeCompare(String(y), CFG.lang === "en" ? "en" : "zh-CN");
      if (isNaN(r)) r = 0;
      return asc ? r : -r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
})();
