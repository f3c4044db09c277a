// The mediation statistics' charts: received, succeeded and escalated disputes in each of the last twelve months
// (lines), and in the chosen month per grid or community (horizontal bars). Data comes from json_script elements;
// the tables beside the charts hold the same figures. No animation.
(function () {
  "use strict";
  if (!window.Chart) {
    return;
  }
  const colours = { received: "#1f6feb", succeeded: "#2e7d32", escalated: "#b3261e" };

  function data(id) {
    const source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }

  function sized(canvas, height) {
    // A CSSOM style (allowed by the CSP, unlike style="…") gives the responsive chart a height to fill.
    canvas.parentElement.style.height = `${height}px`;
    return canvas;
  }

  function datasets(chart, extra) {
    return chart.datasets.map((dataset) => ({
      label: dataset.label,
      data: dataset.data,
      borderColor: colours[dataset.key],
      backgroundColor: colours[dataset.key],
      ...extra,
    }));
  }

  const legend = { position: "bottom", labels: { boxWidth: 12 } };

  const trendCanvas = document.getElementById("mediation-trend-chart");
  const trend = data("mediation-trend-data");
  if (trendCanvas && trend) {
    new window.Chart(sized(trendCanvas, 260), {
      type: "line",
      data: { labels: trend.labels, datasets: datasets(trend, { borderWidth: 2, pointRadius: 3 }) },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend },
      },
    });
  }

  const gridCanvas = document.getElementById("mediation-grid-chart");
  const grids = data("mediation-grid-data");
  if (gridCanvas && grids) {
    new window.Chart(sized(gridCanvas, Math.max(220, grids.labels.length * 48 + 60)), {
      type: "bar",
      data: { labels: grids.labels, datasets: datasets(grids, {}) },
      options: {
        indexAxis: "y",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend },
      },
    });
  }
})();
