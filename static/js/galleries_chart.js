// The Galleries page's "Revenue by month" chart: Chart.js (static/vendor) draws the figures the page
// put in #revenue-data (json_script); the table below the chart holds the same figures.
(function () {
  const data = document.getElementById("revenue-data");
  const canvas = document.getElementById("revenue-chart");
  if (!data || !canvas || !window.Chart) return;
  const figures = JSON.parse(data.textContent);
  const colours = ["#2f6f5e", "#d4a24c", "#6b8f84", "#b54708"];
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: figures.labels,
      datasets: figures.datasets.map((set, i) => ({ ...set, backgroundColor: colours[i % colours.length] })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { beginAtZero: true } },
    },
  });
})();
