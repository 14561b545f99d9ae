// The API reference (/api/docs): Swagger UI reading Ritmo's OpenAPI document. A file of its own,
// not an inline script, so the page keeps the strict Content-Security-Policy.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("api-reference");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.document,
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Try-it-out calls this Ritmo; the token of "Authorize" stays in this page's memory only.
    persistAuthorization: false,
    validatorUrl: null,
  });
});
