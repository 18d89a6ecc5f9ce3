(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("chart-specs").textContent);
  document.documentElement.classList.add("js");
  var figures = document.querySelectorAll("[data-chart]");
  var pending = [];
  figures.forEach(function (fig) {
    var key = fig.getAttribute("data-chart");
    var target = fig.querySelector(".chart-live");
    if (!specs[key] || !target || typeof vegaEmbed === "undefined") { return; }
    pending.push(vegaEmbed(target, specs[key], {actions: false, renderer: "svg"}).then(function () {
      fig.classList.add("rendered");
    }));
  });
  Promise.all(pending).then(function () { document.body.setAttribute("data-charts-ready", "1"); });
})();
