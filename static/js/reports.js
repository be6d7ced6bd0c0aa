// Draws the report charts from the JSON the page embeds (the same numbers as the tables).
(function () {
  const el = document.getElementById("report-charts");
  if (!el || !window.Chart) return;
  const palette = ["#0b5cad", "#c25400", "#1d6b2f", "#7a3e9d", "#6b5b00", "#b00020"];
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  Chart.defaults.color = "#16202a";
  const goalLine = {
    id: "goalLine",
    afterDraw(chart, _args, opts) {
      if (opts.value == null) return;
      const y = chart.scales.y.getPixelForValue(opts.value);
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#b00020";
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(chart.chartArea.left, y);
      ctx.lineTo(chart.chartArea.right, y);
      ctx.stroke();
      ctx.fillStyle = "#b00020";
      ctx.fillText("goal " + opts.value + "%", chart.chartArea.right - 60, y - 4);
      ctx.restore();
    },
  };
  JSON.parse(el.textContent).forEach(function (spec) {
    const canvas = document.getElementById(spec.id);
    if (!canvas) return;
    const datasets = spec.datasets.map(function (d, i) {
      const color = d.color || palette[i % palette.length];
      return {
        label: d.label,
        data: d.data,
        backgroundColor: spec.type === "line" ? color : color + (spec.datasets.length > 1 && i > 0 ? "99" : "dd"),
        borderColor: color,
        borderWidth: spec.type === "line" ? 2 : 0,
        pointRadius: spec.type === "line" ? 2 : undefined,
        spanGaps: true,
        tension: 0.2,
      };
    });
    const valueAxis = { beginAtZero: true, title: { display: !!spec.y_title, text: spec.y_title } };
    if (spec.y_max) valueAxis.max = spec.y_max;
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: spec.horizontal ? { x: valueAxis } : { y: valueAxis },
        plugins: { legend: { display: datasets.length > 1 }, goalLine: { value: spec.goal_line } },
      },
      plugins: [goalLine],
    });
  });
})();
