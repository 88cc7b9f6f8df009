// Draws every <canvas data-chart="..."> from the JSON in #chart-data with Chart.js (served by the app).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997"];

  function dataset(label, values, i, extra) {
    var base = { label: label, data: values, backgroundColor: colours[i % colours.length],
                 borderColor: colours[i % colours.length] };
    return Object.assign(base, extra || {});
  }
  var builders = {
    trend: function (d) {
      return { type: "bar", data: { labels: d.labels, datasets: [
        // Counts on the left axis, the percentage on its own right axis: each dataset names its axis,
        // or Chart.js puts the counts on the 0-100 % scale and clips them.
        dataset("Logged", d.logged, 0, { yAxisID: "y" }), dataset("Resolved", d.resolved, 1, { yAxisID: "y" }),
        dataset("Resolution SLA met (%)", d.compliance, 2, { type: "line", yAxisID: "pct" })
      ] }, options: { scales: {
        y: { type: "linear", position: "left", beginAtZero: true, title: { display: true, text: "Incidents" } },
        pct: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
               title: { display: true, text: "SLA met (%)" } }
      } } };
    },
    sla_priority: function (d) {
      return { type: "bar", data: { labels: d.labels, datasets: [
        dataset("Response met (%)", d.response, 0), dataset("Resolution met (%)", d.resolution, 1)
      ] }, options: { scales: { y: { min: 0, max: 100 } } } };
    },
    backlog_tier: function (d) {
      return { type: "doughnut", data: { labels: d.labels, datasets: [
        { data: d.values, backgroundColor: colours }
      ] } };
    },
    priority: function (d) {
      return { type: "bar", data: { labels: d.labels, datasets: [
        dataset("Logged", d.logged, 0), dataset("Resolved", d.resolved, 1)
      ] } };
    },
    sla: function (d) {
      return { type: "bar", data: { labels: d.labels, datasets: [
        dataset("Resolution met (%)", d.resolution, 1)
      ] }, options: { scales: { y: { min: 0, max: 100 } } } };
    }
  };
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var name = canvas.getAttribute("data-chart");
    if (!builders[name] || !data[name]) { return; }
    var config = builders[name](data[name]);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    canvas.chart = new Chart(canvas, config);
    canvas.setAttribute("data-rendered", "true");
  });
})();
