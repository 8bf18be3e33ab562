/* The API docs page signed in with the browser's session: Swagger's "Try it out" requests that change
   something carry the session's CSRF token (as the pages' own requests do). A bearer token set with
   "Authorize" works as well and needs none. */
(function () {
  "use strict";
  fetch("/api/v1/auth/me", {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (me) {
      /* FastAPI's page declares "const ui = SwaggerUIBundle(...)": a global binding, not a window property */
      var swagger = typeof ui !== "undefined" ? ui : null;  // eslint-disable-line no-undef
      if (!me || !me.csrf_token || !swagger || !swagger.getConfigs) return;
      var configs = swagger.getConfigs();
      var before = configs.requestInterceptor;
      configs.requestInterceptor = function (req) {
        var method = (req.method || "GET").toUpperCase();
        if (method !== "GET" && method !== "HEAD") {
          req.headers = req.headers || {};
          req.headers[me.csrf_header || "X-CSRF-Token"] = me.csrf_token;
        }
        return before ? before(req) : req;
      };
    });
})();
