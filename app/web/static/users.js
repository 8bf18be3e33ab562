/* User management (administrators): the users table, the add-user form and per-row actions
   (change role/station/display name, enable/disable, set a password, remove). Everything a user
   typed (names, display names) is escaped with PN.esc before it reaches innerHTML. */
(function () {
  "use strict";
  var t = PN.t, esc = PN.esc, cfg = PN.cfg;
  var listEl = document.getElementById("pn-users-list");
  var msgEl = document.getElementById("pn-users-msg");
  var countEl = document.getElementById("pn-users-count");
  var form = document.getElementById("pn-user-form");
  var formMsg = document.getElementById("pn-user-form-msg");
  var roles = cfg.roles || [], stations = cfg.stations || [];
  var roleLabel = {}, stationLabel = {};
  roles.forEach(function (r) { roleLabel[r.code] = r.label; });
  stations.forEach(function (s) { stationLabel[s.code] = s.label; });
  var users = [], myName = null;
  var COLS = 9;

  /* times in the workspace's time zone (else the browser's) */
  var fmtTime = PN.timeFormatter(cfg.timezone, false), tz = fmtTime.zone, tzOk = !!tz;
  var tzNote = document.getElementById("pn-users-tz");
  if (tzNote) tzNote.textContent = t("users.tz", {tz: tzOk ? tz : t("audit.local_time")});

  function say(el, text, kind) {
    el.innerHTML = text ? '<div class="' + (kind === "error" ? "pn-error" : "pn-ok") + '">' + esc(text) + "</div>" : "";
  }
  function failed(el) {
    return function (e) {
      if (e && e.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); return; }
      say(el, t("users.failed", {msg: e && e.message ? e.message : String(e)}), "error");
    };
  }
  function api(name, suffix) {
    return PN.url("/api/v1/users" + (name ? "/" + encodeURIComponent(name) : "") + (suffix || ""));
  }
  function send(method, url, body) {
    var opts = {method: method};
    if (body !== undefined) { opts.headers = {"Content-Type": "application/json"}; opts.body = JSON.stringify(body); }
    return PN.json(url, opts);
  }

  function roleOptions(selected) {
    return roles.map(function (r) {
      return '<option value="' + esc(r.code) + '"' + (r.code === selected ? " selected" : "") + ">" + esc(r.label) + "</option>";
    }).join("");
  }
  function stationField(id, selected) {
    if (!stations.length) {
      return '<input type="text" id="' + id + '" maxlength="64" placeholder="S01" value="' + esc(selected || "") + '">';
    }
    return '<select id="' + id + '">' + stations.map(function (s) {
      return '<option value="' + esc(s.code) + '"' + (s.code === selected ? " selected" : "") + ">" +
        esc(s.code + " " + s.label) + "</option>";
    }).join("") + "</select>";
  }
  /* the station field is only for station users */
  function linkRole(roleEl, stationEl, unitEl) {
    function sync() {
      stationEl.disabled = roleEl.value !== "station";
      if (unitEl) unitEl.disabled = roleEl.value !== "officer";  /* the unit is only for officers */
    }
    roleEl.addEventListener("change", sync);
    sync();
  }

  function stationText(u) {
    if (u.unit_id) return esc(u.unit_id);  /* an officer: its unit */
    if (!u.station_id) return "";
    var label = stationLabel[u.station_id];
    return esc(u.station_id) + (label ? ' <span class="pn-muted">' + esc(label) + "</span>" : "");
  }
  function row(u) {
    var self = u.username === myName;
    var lock = self ? ' disabled title="' + esc(t("users.self_locked")) + '"' : "";
    return '<tr data-user="' + esc(u.username) + '"' + (u.active ? "" : ' class="pn-inactive"') + ">" +
      '<td class="pn-name"><code>' + esc(u.username) + "</code>" + (self ? ' <span class="pn-tag">' + esc(t("users.you")) + "</span>" : "") + "</td>" +
      '<td class="pn-wrap">' + esc(u.display_name) + "</td>" +
      '<td class="pn-role">' + esc(roleLabel[u.role] || u.role) + "</td>" +
      '<td class="pn-station">' + stationText(u) + "</td>" +
      '<td data-col="active"><span class="pn-state ' + (u.active ? "on" : "off") + '">' + esc(t(u.active ? "users.active" : "users.inactive")) + "</span></td>" +
      '<td data-col="demo">' + (u.demo ? '<span class="pn-tag demo">' + esc(t("users.demo")) + "</span>" : "") + "</td>" +
      '<td class="pn-time" data-col="created">' + esc(fmtTime(u.created_at)) + "</td>" +
      '<td class="pn-time" data-col="password_changed">' + esc(fmtTime(u.password_changed_at)) + "</td>" +
      '<td class="pn-actions">' +
        '<button type="button" class="pn-mini" data-act="edit">' + esc(t("users.edit")) + "</button>" +
        '<button type="button" class="pn-mini" data-act="toggle"' + lock + ">" + esc(t(u.active ? "users.disable" : "users.enable")) + "</button>" +
        '<button type="button" class="pn-mini" data-act="password">' + esc(t("users.set_password")) + "</button>" +
        '<button type="button" class="pn-mini danger" data-act="remove"' + lock + ">" + esc(t("users.remove")) + "</button>" +
      "</td></tr>";
  }
  function render() {
    var head = ["username", "display_name", "role", "station", "active", "demo", "created", "password_changed", "actions"];
    listEl.innerHTML = '<table class="pn-table pn-users" id="pn-users"><thead><tr>' +
      head.map(function (k) { return "<th>" + esc(t("users.col." + k)) + "</th>"; }).join("") +
      "</tr></thead><tbody>" + users.map(row).join("") + "</tbody></table>";
    countEl.textContent = t("users.count", {n: users.length});
  }
  function refresh() {
    return PN.json(api()).then(function (d) { users = d.users; render(); }, failed(msgEl));
  }
  function find(name) {
    for (var i = 0; i < users.length; i++) if (users[i].username === name) return users[i];
    return null;
  }

  /* one panel under a row at a time: change, password or remove */
  function closePanel() {
    var open = listEl.querySelector("tr.pn-panel-row");
    if (open) open.parentNode.removeChild(open);
    listEl.querySelectorAll("tr.pn-open").forEach(function (r) { r.classList.remove("pn-open"); });
  }
  function openPanel(tr, kind, html) {
    closePanel();
    say(msgEl, "");
    say(formMsg, "");
    var p = document.createElement("tr");
    p.className = "pn-panel-row";
    p.setAttribute("data-panel", kind);
    p.innerHTML = '<td colspan="' + COLS + '"><div class="pn-panel">' + html +
      '<div class="pn-panel-msg" role="status" aria-live="polite"></div></div></td>';
    tr.parentNode.insertBefore(p, tr.nextSibling);
    tr.classList.add("pn-open");
    p.querySelector(".pn-cancel").addEventListener("click", closePanel);
    return p;
  }
  function buttons(okLabel, danger) {
    return '<div class="pn-panel-buttons"><button type="submit" class="pn-btn' + (danger ? " danger" : "") + ' pn-ok-btn">' +
      esc(okLabel) + '</button> <button type="button" class="pn-btn secondary pn-cancel">' + esc(t("users.cancel")) + "</button></div>";
  }
  function done(message) {
    return refresh().then(function () { say(msgEl, message); });
  }

  function editPanel(tr, u) {
    var p = openPanel(tr, "edit", '<form class="pn-form pn-panel-form"><b>' + esc(t("users.edit_title", {name: u.username})) + "</b>" +
      '<div class="pn-panel-fields">' +
      '<div><label for="pn-edit-role">' + esc(t("users.col.role")) + '</label><select id="pn-edit-role">' + roleOptions(u.role) + "</select></div>" +
      '<div><label for="pn-edit-station">' + esc(t("users.col.station")) + "</label>" + stationField("pn-edit-station", u.station_id) + "</div>" +
      '<div><label for="pn-edit-display">' + esc(t("users.col.display_name")) + '</label><input type="text" id="pn-edit-display" maxlength="100" value="' + esc(u.display_name) + '"></div>' +
      "</div>" + buttons(t("users.save")) + "</form>");
    var roleEl = p.querySelector("#pn-edit-role"), stEl = p.querySelector("#pn-edit-station"), dnEl = p.querySelector("#pn-edit-display");
    linkRole(roleEl, stEl);
    p.querySelector("form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var msg = p.querySelector(".pn-panel-msg"), body = {};
      if (roleEl.value !== u.role) body.role = roleEl.value;
      if (roleEl.value === "station") {
        var st = stEl.value.trim();
        if (!st) { say(msg, t("users.need_station"), "error"); return; }
        if (st !== u.station_id || body.role) body.station_id = st;
      }
      if (dnEl.value !== u.display_name) body.display_name = dnEl.value;
      if (!Object.keys(body).length) { closePanel(); return; }
      send("PATCH", api(u.username), body).then(function () { return done(t("users.changed", {name: u.username})); }, failed(msg));
    });
    roleEl.focus();
  }
  function passwordPanel(tr, u) {
    var p = openPanel(tr, "password", '<form class="pn-form pn-panel-form" autocomplete="off"><b>' + esc(t("users.password_title", {name: u.username})) + "</b>" +
      '<div class="pn-panel-fields">' +
      '<div><label for="pn-pw1">' + esc(t("users.new_password")) + '</label><input type="password" id="pn-pw1" autocomplete="new-password"></div>' +
      '<div><label for="pn-pw2">' + esc(t("users.new_password2")) + '</label><input type="password" id="pn-pw2" autocomplete="new-password"></div>' +
      "</div>" + buttons(t("users.save")) + "</form>");
    var a = p.querySelector("#pn-pw1"), b = p.querySelector("#pn-pw2");
    p.querySelector("form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var msg = p.querySelector(".pn-panel-msg");
      if (a.value !== b.value) { say(msg, t("users.mismatch"), "error"); return; }
      send("POST", api(u.username, "/password"), {password: a.value})
        .then(function () { return done(t("users.password_set", {name: u.username})); }, failed(msg));
    });
    a.focus();
  }
  function removePanel(tr, u) {
    var p = openPanel(tr, "remove", '<form class="pn-panel-form"><p class="pn-confirm">' +
      esc(t("users.confirm_remove", {name: u.display_name ? t("users.name_display", {name: u.username, display: u.display_name}) : u.username})) + "</p>" +
      buttons(t("users.confirm_remove_btn"), true) + "</form>");
    p.querySelector("form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      send("DELETE", api(u.username)).then(function () { return done(t("users.removed", {name: u.username})); },
        failed(p.querySelector(".pn-panel-msg")));
    });
    p.querySelector(".pn-cancel").focus();
  }
  function toggle(u) {
    say(msgEl, "");
    say(formMsg, "");
    send("PATCH", api(u.username), {active: !u.active})
      .then(function () { return done(t(u.active ? "users.disabled" : "users.enabled", {name: u.username})); }, failed(msgEl));
  }

  listEl.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("button[data-act]");
    if (!btn || btn.disabled) return;
    var tr = btn.closest("tr"), u = find(tr.getAttribute("data-user"));
    if (!u) return;
    var act = btn.getAttribute("data-act");
    if (act === "toggle") { closePanel(); toggle(u); return; }
    if (tr.classList.contains("pn-open") && listEl.querySelector('tr.pn-panel-row[data-panel="' + act + '"]')) { closePanel(); return; }
    ({edit: editPanel, password: passwordPanel, remove: removePanel})[act](tr, u);
  });

  /* the add-user form */
  var newRole = document.getElementById("pn-new-role"), newStation = document.getElementById("pn-new-station");
  var newUnit = document.getElementById("pn-new-unit");
  linkRole(newRole, newStation, newUnit);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    say(formMsg, "");
    var v = function (id) { return document.getElementById(id).value; };
    var name = v("pn-new-username").trim().toLowerCase();
    if (v("pn-new-password") !== v("pn-new-password2")) { say(formMsg, t("users.mismatch"), "error"); return; }
    var body = {username: name, display_name: v("pn-new-display").trim(), role: newRole.value, password: v("pn-new-password")};
    if (newRole.value === "station") {
      body.station_id = newStation.value.trim();
      if (!body.station_id) { say(formMsg, t("users.need_station"), "error"); return; }
    }
    if (newRole.value === "officer") body.unit_id = newUnit.value.trim();
    var btn = document.getElementById("pn-user-add");
    btn.disabled = true;
    send("POST", api(), body).then(function (u) {
      ["pn-new-username", "pn-new-display", "pn-new-password", "pn-new-password2"].forEach(function (id) { document.getElementById(id).value = ""; });
      say(formMsg, t("users.added", {name: u.username}));
      return refresh();
    }, failed(formMsg)).then(function () { btn.disabled = false; });
  });

  PN.me.then(function (me) { myName = me ? me.username : null; return refresh(); });
})();
