// Survey charts: Chart.js (served from node_modules, never a CDN) draws what the tables next to it hold.
(function () {
  "use strict";
  document.querySelectorAll("canvas[data-survey-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.surveyChart);
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var isTrend = canvas.dataset.surveyChart === "monthly";
    new Chart(canvas, {
      type: isTrend ? "line" : "bar",
      data: { labels: data.labels, datasets: [{ label: data.label, data: data.values, backgroundColor: "#0d6efd", borderColor: "#0d6efd" }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { y: isTrend ? { min: 1, max: 5 } : { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  });
})();
