// The KPI dashboard stays live: every 30 s it re-fetches the JSON API (with the in-frame session,
// through Ritmo.api from ritmo.js) and writes each figure into the element whose data-kpi names it.
(function () {
  "use strict";
  var PERIOD_MS = 30000;

  // {"a": {"b": 1}, "c": [{"d": 2}]} -> {"a.b": 1, "c.0.d": 2}
  function flatten(value, prefix, out) {
    if (value !== null && typeof value === "object") {
      Object.keys(value).forEach(function (key) {
        flatten(value[key], prefix ? prefix + "." + key : key, out);
      });
    } else {
      out[prefix] = value;
    }
    return out;
  }

  function refresh(box) {
    var status = document.getElementById("kpis-status");
    return window.Ritmo.api(box.dataset.source).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (data) {
      var values = flatten(data, "", {});
      box.querySelectorAll("[data-kpi]").forEach(function (el) {
        var value = values[el.dataset.kpi];
        if (value === undefined) return;
        el.textContent = String(value);
        if (el.tagName === "TIME" && values.generated_at) el.setAttribute("datetime", String(values.generated_at));
      });
      if (status) status.textContent = "";
    }).catch(function () {
      if (status) status.textContent = box.dataset.failed;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("kpis");
    if (!box || !window.Ritmo) return;
    window.setInterval(function () { refresh(box); }, PERIOD_MS);
  });
})();
