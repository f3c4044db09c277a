// The heating dashboard's chart: households per state (ticket open, below standard, warm, not inspected), one
// stacked bar per community or grid. Data comes from a json_script element; the table below holds the figures.
(function () {
  "use strict";
  if (!window.Chart) {
    return;
  }
  const colours = { ticket: "#b3261e", cold: "#1f6feb", warm: "#2e7d32", none: "#adb5bd" };
  const canvas = document.getElementById("heating-chart");
  const source = document.getElementById("heating-chart-data");
  if (!canvas || !source) {
    return;
  }
  const chart = JSON.parse(source.textContent);
  // A CSSOM style (allowed by the CSP, unlike style="…") gives the responsive chart a height to fill.
  canvas.parentElement.style.height = `${Math.max(220, chart.labels.length * 28 + 80)}px`;
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: chart.labels,
      datasets: chart.datasets.map((dataset) => ({
        label: dataset.label,
        data: dataset.data,
        backgroundColor: colours[dataset.key],
      })),
    },
    options: {
      indexAxis: "y",
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    },
  });
})();
