// Ritmo's in-frame session without cookies: every request carries the token from
// <meta name="ritmo-session">, as a header (fetch), a form field (forms) or ?rs= (links).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="ritmo-session"]');
  var token = meta ? meta.content : null;

  function withToken(href) {
    var url = new URL(href, window.location.href);
    if (url.origin === window.location.origin && token) url.searchParams.set("rs", token);
    return url.toString();
  }

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign({"Accept": "application/json"}, options.headers || {});
    if (token) options.headers["Authorization"] = "Bearer " + token;
    if (options.json !== undefined) {
      options.body = JSON.stringify(options.json);
      options.headers["Content-Type"] = "application/json";
      delete options.json;
    }
    return fetch(path, options).then(function (response) {
      var renewed = response.headers.get("X-Ritmo-Session");
      if (renewed) { token = renewed; if (meta) meta.content = renewed; }
      return response;
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.target === "_blank" || link.hasAttribute("data-no-session")) return;
    var url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin) return;
    link.href = withToken(link.href);
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!token || form.querySelector('input[name="ritmo_session"]')) return;
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "ritmo_session"; input.value = token;
    form.appendChild(input);
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("whoami");
    if (!button) return;
    button.addEventListener("click", function () {
      var out = document.getElementById("whoami-result");
      api("/api/me").then(function (r) { return r.json(); }).then(function (me) {
        out.textContent = me.user ? me.user.name + " · " + me.role : (me.detail || "?");
        out.dataset.state = me.user ? "ok" : "error";
      });
    });
  });

  window.Ritmo = {api: api, withToken: withToken, token: function () { return token; }};
})();
