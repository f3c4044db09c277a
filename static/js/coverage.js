// Coverage comparison chart: one horizontal bar group per node, a dashed line at the target share.
(function () {
  "use strict";
  const canvas = document.getElementById("coverage-chart");
  const source = document.getElementById("coverage-chart-data");
  if (!canvas || !source || !window.Chart) {
    return;
  }
  const chart = JSON.parse(source.textContent);
  // 60 px per row; the stylesheet keeps a minimum (a CSSOM style, which the CSP allows, unlike style="…").
  canvas.parentElement.style.height = `${chart.labels.length * 60}px`;
  const colours = ["#b3261e", "#1f6feb", "#2e7d32", "#8e24aa", "#ef6c00"];

  const targetLine = {
    id: "targetLine",
    afterDatasetsDraw(instance) {
      const x = instance.scales.x.getPixelForValue(chart.target);
      const { top, bottom } = instance.chartArea;
      const ctx = instance.ctx;
      ctx.save();
      ctx.strokeStyle = "#6c757d";
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.restore();
    },
  };

  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: chart.labels,
      datasets: chart.datasets.map((dataset, i) => ({
        label: dataset.label,
        data: dataset.data,
        backgroundColor: colours[i % colours.length],
      })),
    },
    options: {
      indexAxis: "y",
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { min: 0, max: 100, ticks: { callback: (value) => value + "%" } } },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.raw === null ? "—" : item.raw + "%"}` } },
      },
    },
    plugins: [targetLine],
  });
})();
