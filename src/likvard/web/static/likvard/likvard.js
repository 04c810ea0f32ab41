/* Likvärd's only script, served by the app (no inline scripts: the Content-Security-Policy
   allows scripts from this origin only). Charts: every element with data-chart="ID" is drawn
   from the Vega-Lite spec in <script type="application/json" id="ID">. */
(function () {
  "use strict";
  var swedishNumbers = {decimal: ",", thousands: "\u00a0", grouping: [3], currency: ["", "\u00a0kr"], minus: "\u2212"};
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (source && window.vegaEmbed) {
      window.vegaEmbed(element, JSON.parse(source.textContent), {actions: false, renderer: "svg", formatLocale: swedishNumbers});
    }
  });
  /* Upload forms: show the progress indicator while the file is checked and imported. */
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var bar = document.getElementById(form.getAttribute("data-progress"));
      if (bar) { bar.hidden = false; }
    });
  });
})();
