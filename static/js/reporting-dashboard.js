// Reports dashboard: draws the charts from the figures the page already holds
// ({{ data|json_script:"dashboard-data" }}). No inline script or style: the CSP is strict, and
// Chart.js draws on a canvas. Without JavaScript (or Chart.js) the tables below say the same.
(function () {
  "use strict";

  function readData() {
    var node = document.getElementById("dashboard-data");
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function bars(canvas, labels, datasets, horizontal) {
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1 } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }

  function draw() {
    var data = readData();
    if (!data || typeof window.Chart === "undefined") return;
    var trend = document.getElementById("chart-trend");
    if (trend && data.trend) {
      bars(trend, data.trend.labels, [
        { label: data.trend.label, data: data.trend.values, backgroundColor: "#1d4ed8" },
      ]);
      trend.dataset.drawn = "true";
    }
    var areas = document.getElementById("chart-areas");
    if (areas && data.areas) {
      bars(
        areas,
        data.areas.labels,
        [
          { label: data.areas.current_label, data: data.areas.current, backgroundColor: "#1d4ed8" },
          { label: data.areas.previous_label, data: data.areas.previous, backgroundColor: "#9aa5b1" },
        ],
        true
      );
      areas.dataset.drawn = "true";
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
