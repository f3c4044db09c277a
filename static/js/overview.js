// The supervisor's overview on the workbench: the monthly visit trend (a line per community or grid, the total
// in bold) and requests by category (two bar series). Data comes from json_script elements; no animation.
(function () {
  "use strict";
  if (!window.Chart) {
    return;
  }
  const colours = ["#1f6feb", "#2e7d32", "#8e24aa", "#ef6c00", "#00838f", "#6d4c41", "#c2185b", "#5c6bc0"];

  function data(id) {
    const source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }

  function sized(canvas, height) {
    // A CSSOM style (allowed by the CSP, unlike style="…") gives the responsive chart a height to fill.
    canvas.parentElement.style.height = `${height}px`;
    return canvas;
  }

  const trendCanvas = document.getElementById("overview-trend-chart");
  const trend = data("overview-trend-data");
  if (trendCanvas && trend) {
    const lines = trend.datasets.length;
    new window.Chart(sized(trendCanvas, 260 + Math.max(0, lines - 6) * 12), {
      type: "line",
      data: {
        labels: trend.labels,
        datasets: trend.datasets.map((dataset, i) => ({
          label: dataset.label,
          data: dataset.data,
          borderColor: dataset.total ? "#b3261e" : colours[(i - 1) % colours.length],
          backgroundColor: dataset.total ? "#b3261e" : colours[(i - 1) % colours.length],
          borderWidth: dataset.total ? 4 : 2,
          pointRadius: dataset.total ? 4 : 2,
          spanGaps: false,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { min: 0, suggestedMax: 100, ticks: { callback: (value) => value + "%" } } },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: { label: (item) => `${item.dataset.label}: ${item.raw === null ? "—" : item.raw + "%"}` },
          },
        },
      },
    });
  }

  const requestsCanvas = document.getElementById("overview-requests-chart");
  const requests = data("overview-requests-data");
  if (requestsCanvas && requests) {
    new window.Chart(sized(requestsCanvas, Math.max(220, requests.labels.length * 34)), {
      type: "bar",
      data: {
        labels: requests.labels,
        datasets: requests.datasets.map((dataset, i) => ({
          label: dataset.label,
          data: dataset.data,
          backgroundColor: ["#b3261e", "#1f6feb"][i % 2],
        })),
      },
      options: {
        indexAxis: "y",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      },
    });
  }
})();
