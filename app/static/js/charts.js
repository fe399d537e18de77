/* Charts of the statistics, dashboard and score pages: the options are built on the server
   (app/web/charts.py) and carried as JSON in data-options; this only hands them to the vendored
   ECharts, adds the tooltip text (a missing figure reads as such, never as 0) and folds the
   table of figures that stands in for the chart without script. */
(function () {
  "use strict";
  if (!window.echarts) return;
  var drawn = [];

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function tooltip(noData, suffix) {
    return function (params) {
      var list = Array.isArray(params) ? params : [params];
      var head = list.length ? list[0].axisValueLabel || list[0].name : "";
      var figures = list.filter(function (p) {
        return !(p.seriesType === "scatter" && p.seriesName === noData);
      });
      var lines = figures.map(function (p) {
        var v = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
        var shown = v == null || v === "-" || v === "" || isNaN(v) ? noData : v + suffix;
        return p.marker + esc(p.seriesName) + ": <b>" + esc(shown) + "</b>";
      });
      // The category has no figure at all: only its "no data" mark answered.
      if (!lines.length) lines = ["<b>" + esc(noData) + "</b>"];
      return [esc(head)].concat(lines).join("<br>");
    };
  }

  document.querySelectorAll(".echart[data-options]").forEach(function (box) {
    var options;
    try {
      options = JSON.parse(box.getAttribute("data-options"));
    } catch (e) {
      return;
    }
    var noData = options.noData || "";
    var suffix = options.suffix || "";
    delete options.noData;
    delete options.suffix;
    options.tooltip = options.tooltip || {};
    options.tooltip.formatter = tooltip(noData, suffix);
    box.classList.add("drawn"); // shown before drawing: ECharts measures the box
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(options);
    var figures = box.parentNode.querySelector("details.chart-data");
    if (figures) figures.removeAttribute("open");
    drawn.push(chart);
  });

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      drawn.forEach(function (chart) {
        chart.resize();
      });
    }, 100);
  });
})();
