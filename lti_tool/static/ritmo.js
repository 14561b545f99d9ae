// Ritmo's in-frame session without cookies: every request carries the token from
// <meta name="ritmo-session">, as a header (fetch) or a field (POST forms). The token never goes
// into a URL: to follow a same-origin link or send a GET form, the page first asks for a one-time
// code (POST /api/session/handoff) and opens the URL with ?rh=CODE, which the server spends once.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="ritmo-session"]');
  var token = meta ? meta.content : null;
  var HANDOFF = "rh";

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
      if (renewed) {
        token = renewed;
        if (meta) meta.content = renewed;
        if (store()) store().setItem(KEPT, renewed);
      }
      return response;
    });
  }

  function sameOrigin(url) { return url.origin === window.location.origin; }

  // The URL with a fresh one-time code for this session (a promise); as it is without a session.
  function withCode(href) {
    var url = new URL(href, window.location.href);
    url.searchParams.delete(HANDOFF);
    if (!token || !sameOrigin(url)) return Promise.resolve(url.toString());
    return api("/api/session/handoff", {method: "POST"}).then(function (response) {
      if (!response.ok) return url.toString();  // the next page says what to do (open Ritmo again)
      return response.json().then(function (body) {
        url.searchParams.set(HANDOFF, body.code);
        return url.toString();
      });
    }, function () { return url.toString(); });
  }

  // Open a same-origin URL with the session: in this frame, or in a new tab opened at once (so no
  // popup blocker objects) and sent on when the code arrives, detached from this page.
  function go(href, target) {
    if (target === "_blank") {
      var tab = window.open("", "_blank");
      if (tab) tab.opener = null;
      return withCode(href).then(function (url) {
        if (tab) tab.location.href = url; else window.open(url, "_blank", "noopener");
      });
    }
    return withCode(href).then(function (url) { window.location.assign(url); });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || link.hasAttribute("data-no-session")) return;
    var url = new URL(link.href, window.location.href);
    if (!token || !sameOrigin(url)) return;
    if (url.hash && url.pathname === window.location.pathname && url.search === window.location.search) return;
    event.preventDefault();
    // A download (Content-Disposition: attachment) leaves this page where it is.
    var newTab = link.target === "_blank" || event.ctrlKey || event.metaKey || event.shiftKey;
    go(link.href, newTab ? "_blank" : null);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!token || event.defaultPrevented) return;
    var method = (form.getAttribute("method") || "get").toLowerCase();
    if (method === "get") {
      // A GET form's fields become the query string: send them with a code, not the token.
      var url = new URL(form.action || window.location.href, window.location.href);
      if (!sameOrigin(url)) return;
      event.preventDefault();
      url.search = "";
      new FormData(form, event.submitter || undefined).forEach(function (value, name) {
        // An empty filter is no filter: leave it out rather than send "role=".
        if (name !== "ritmo_session" && typeof value === "string" && value !== "") url.searchParams.append(name, value);
      });
      go(url.toString(), form.target === "_blank" ? "_blank" : null);
      return;
    }
    var field = form.querySelector('input[name="ritmo_session"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden"; field.name = "ritmo_session";
      form.appendChild(field);
    }
    field.value = token;  // a POST body: never logged with the URL
  });

  // Fields marked data-enter-sends (the chat): Enter sends, Shift+Enter makes a new line, and
  // Enter while composing text (an input method) is the composition's.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.isComposing || event.keyCode === 229) return;
    if (!field.matches || !field.matches("textarea[data-enter-sends]") || !field.form) return;
    event.preventDefault();
    if (field.value.trim()) field.form.requestSubmit();
  });

  // In an LMS frame, ask the LMS to fit the frame to the page (LTI's lti.frameResize message), so
  // the page does not scroll inside a box: on load and whenever its height changes.
  function parentOrigin() {
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length) return ancestors[0];
    return "*";  // where the browser does not say who frames us: a height is no secret
  }
  var sentHeight = 0;
  function frameResize() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (Math.abs(height - sentHeight) < 2) return;
    sentHeight = height;
    window.parent.postMessage({subject: "lti.frameResize", height: height}, parentOrigin());
  }
  if (window.parent !== window) {
    document.addEventListener("DOMContentLoaded", function () {
      frameResize();
      if (window.ResizeObserver) new ResizeObserver(frameResize).observe(document.body);
    });
    window.addEventListener("load", frameResize);
  }

  // This tab's session, kept for going back or reloading: the code in such a URL is spent.
  var KEPT = "ritmo-session", REOPENED = "ritmo-reopened";
  function store() { try { return window.sessionStorage; } catch (e) { return null; } }

  function reopen() {
    // A page that answered 401 (back, reload, a restored tab): open it again once with the
    // session this tab kept, if there is one and it is still good.
    var kept = store() && store().getItem(KEPT);
    var box = document.querySelector('.error[data-status="401"]');
    var here = new URL(window.location.href);
    here.searchParams.delete(HANDOFF);
    if (!kept || !box || store().getItem(REOPENED) === here.toString()) return;
    store().setItem(REOPENED, here.toString());
    token = kept;
    withCode(here.toString()).then(function (url) {
      if (url.indexOf(HANDOFF + "=") > -1) window.location.replace(url);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (token && store()) { store().setItem(KEPT, token); store().removeItem(REOPENED); }
    if (!token) reopen();
    // The code in this page's address is spent: keep it out of the history and the address bar.
    var here = new URL(window.location.href);
    if (here.searchParams.has(HANDOFF)) {
      here.searchParams.delete(HANDOFF);
      window.history.replaceState(window.history.state, "", here.toString());
    }
    // In a frame, offer this page in a window of its own (a one-time code carries the session).
    var windowButton = document.getElementById("open-window");
    if (windowButton && token && window.top !== window.self) {
      windowButton.hidden = false;
      windowButton.addEventListener("click", function () { go(window.location.href, "_blank"); });
    }
    var button = document.getElementById("whoami");
    if (!button) return;
    button.addEventListener("click", function () {
      var out = document.getElementById("whoami-result");
      api("/api/me").then(function (r) { return r.json(); }).then(function (me) {
        // The API names the role by value; the page carries its words in the reader's language.
        out.textContent = me.user ? me.user.name + " · " + (out.dataset[me.role] || me.role) : (me.detail || "?");
        out.dataset.state = me.user ? "ok" : "error";
      });
    });
  });

  // A destructive button (or a form) with data-confirm asks first. This listens in the capture
  // phase, before the session handling above and any page script: "Cancel" stops the submission.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter && event.submitter.closest ? event.submitter.closest("[data-confirm]") : null;
    var asker = button || (form.hasAttribute && form.hasAttribute("data-confirm") ? form : null);
    if (asker && !window.confirm(asker.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A refusal's messages name their fields as the API does (ends_on); the page's own label says
  // it in the reader's words. The field is marked, and the first one gets the focus.
  function labelOf(field) {
    // A box of a group is named by its group (its own label names one choice).
    var set = field.closest("fieldset"), legend = set && set.querySelector("legend");
    var grouped = field.type === "checkbox" || field.type === "radio" || /_[a-z]{2}$/.test(field.name);
    var label = grouped && legend ? legend : (field.labels && field.labels[0]) || legend;
    if (!label) return "";
    var first = label.firstChild;  // the label's own words, before the field it wraps
    var text = first && first.nodeType === 3 && first.textContent.trim() ? first.textContent : label.textContent;
    return text.replace(/\s+/g, " ").trim();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var focused = false;
    document.querySelectorAll(".errors li[data-field]").forEach(function (item) {
      var name = item.getAttribute("data-field").split(".")[0];
      var escaped = window.CSS && CSS.escape ? CSS.escape(name) : name;
      var field = document.querySelector('form [name="' + escaped + '"]') ||
                  document.querySelector('form [name^="' + escaped + '_"]');  // one per language
      if (!field || field.type === "hidden") return;
      field.setAttribute("aria-invalid", "true");
      if (!focused) { field.focus({preventScroll: true}); focused = true; }
      var text = labelOf(field), shown = item.querySelector(".field-name");
      if (text && shown) shown.textContent = text;
    });
  });

  // A refused form comes back as typed. A page that does not show the form again itself answers
  // with the error page (422), whose "Back to the form" opens the form's page afresh; the values
  // sent wait in this tab's storage from the submission to that page, and an answer that is not
  // a refusal forgets them. Hidden fields, passwords and files are never kept.
  var DRAFT = "ritmo-refused-form";
  var SKIPPED = {hidden: 1, password: 1, file: 1, submit: 1, button: 1, reset: 1};

  document.addEventListener("submit", function (event) {
    var form = event.target;
    // A form its page sends itself (the chat) never navigates to a refusal: nothing to keep.
    if (event.defaultPrevented || !store() || (form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    var here = new URL(window.location.href);
    here.searchParams.delete(HANDOFF);
    var values = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIPPED[el.type] || el.name === "ritmo_session") return;
      if (el.type === "checkbox" || el.type === "radio") values.push([el.name, el.value, el.checked]);
      else if (el.multiple) values.push([el.name, Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; })]);
      else values.push([el.name, el.value]);
    });
    try {
      store().setItem(DRAFT, JSON.stringify({action: form.getAttribute("action") || "", page: here.toString(), values: values}));
    } catch (e) { /* full or refused: the form is simply not kept */ }
  });

  function restore(form, values) {
    values.forEach(function (kept) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== kept[0] || SKIPPED[el.type]) return;
        if (el.type === "checkbox" || el.type === "radio") { if (el.value === kept[1]) el.checked = kept[2]; }
        else if (el.multiple) Array.prototype.forEach.call(el.options, function (o) { o.selected = kept[1].indexOf(o.value) > -1; });
        else el.value = kept[1];
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var draft = null;
    try { draft = store() && JSON.parse(store().getItem(DRAFT) || "null"); } catch (e) { draft = null; }
    if (!draft) return;
    var back = document.querySelector("[data-back]");
    if (document.querySelector('.error[data-status="422"]')) {
      draft.refused = true;
      store().setItem(DRAFT, JSON.stringify(draft));
      if (back) {
        back.hidden = false;
        back.addEventListener("click", function () { go(draft.page); });
      }
      return;
    }
    store().removeItem(DRAFT);
    if (!draft.refused) return;
    var form = Array.prototype.find.call(document.forms, function (f) { return (f.getAttribute("action") || "") === draft.action; });
    if (form) restore(form, draft.values);
  });

  window.Ritmo = {api: api, go: go, withCode: withCode, token: function () { return token; }};
})();
