/* Your account: who you are, what you may do, and a new password (all your sessions end then). */
(function () {
  "use strict";
  var t = PN.t;
  function show(id, text) { var el = document.getElementById(id); if (el) el.textContent = text || ""; }
  PN.me.then(function (me) {
    if (!me) return;
    show("pn-acct-name", (me.display_name ? me.display_name + " · " : "") + me.username);
    show("pn-acct-role", me.role_label + (me.demo ? " · " + t("account.demo") : ""));
    show("pn-acct-scope", me.station_id ? t("account.station", {station: me.station_id}) : t("account.district"));
    show("pn-acct-expires", me.expires_at ? new Date(me.expires_at).toLocaleString() : "");
    var ul = document.getElementById("pn-acct-perms");
    (me.permissions || []).forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = (me.permission_labels || {})[p] || p;
      ul.appendChild(li);
    });
  });
  var form = document.getElementById("pn-password-form");
  var msg = document.getElementById("pn-pw-msg");
  function say(text, ok) {
    msg.innerHTML = '<div class="' + (ok ? "pn-ok" : "pn-error") + '">' + PN.esc(text) + "</div>";
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var cur = document.getElementById("pn-pw-current").value;
    var a = document.getElementById("pn-pw-new").value, b = document.getElementById("pn-pw-again").value;
    if (a !== b) { say(t("account.mismatch"), false); return; }
    document.getElementById("pn-pw-submit").disabled = true;
    PN.json(PN.url("/api/v1/auth/password"), {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({current_password: cur, new_password: a})
    }).then(function () {
      say(t("account.changed"), true);
      setTimeout(function () { location.href = PN.url("/login"); }, 1500);
    }).catch(function (e) {
      document.getElementById("pn-pw-submit").disabled = false;
      say(e.message, false);
    });
  });
})();
