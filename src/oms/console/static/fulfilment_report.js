// Draws the fulfilment report's charts with the vendored ECharts (SVG renderer) from the
// specs the page carries in #report-charts-data (the same specs the PDF's charts come from).
(function () {
  "use strict";
  function draw() {
    var island = document.getElementById("report-charts-data");
    if (!island || typeof echarts === "undefined") { return; }
    var specs = JSON.parse(island.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var spec = specs[element.dataset.chart];
      if (!spec) { return; }
      var chart = echarts.init(element, null, { renderer: "svg" });
      chart.setOption({
        title: { text: spec.title, textStyle: { fontSize: 13 } },
        tooltip: { trigger: "axis" },
        legend: { top: 24 },
        grid: { top: 64, left: 48, right: 16, bottom: 32 },
        xAxis: { type: "category", data: spec.categories },
        yAxis: { type: "value" },
        series: spec.series.map(function (s) {
          return s.type === "line"
            ? { name: s.name, type: "line", data: s.data, lineStyle: { type: "dashed" }, symbol: "none" }
            : { name: s.name, type: "bar", data: s.data };
        })
      });
      element.dataset.rendered = "true";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
