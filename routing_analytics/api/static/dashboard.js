// Draws the dashboard's charts from the figures the server put in the page (the API's
// documents); the numbers in the cards and tables are the server's, not recomputed here.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const config = { responsive: true, displaylogo: false, displayModeBar: false };
  const colors = { cost: "#3552d6", baseline: "#9aa4b8", savings: "#12805c", loss: "#b42318" };

  function layout(extra) {
    return Object.assign({
      margin: { t: 10, r: 10, b: 40, l: 55 },
      legend: { orientation: "h", y: -0.2 },
      font: { family: "system-ui, sans-serif", size: 12 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      yaxis: { tickprefix: "$", rangemode: "tozero", gridcolor: "#e3e7ef" },
      xaxis: { gridcolor: "#e3e7ef", type: "date", tickformat: "%b %d" },
    }, extra || {});
  }

  function column(rows, name) {
    return rows.map(function (row) { return row[name] === null ? null : Number(row[name]); });
  }

  const trend = data.cost_trend.rows;
  const days = trend.map(function (row) { return row.date; });
  const savings = column(trend, "savings_usd");
  const providers = data.providers.rows;
  const routing = data.routing.rows;
  const usage = data.usage.rows;

  const drawn = [
    Plotly.newPlot("chart-cost", [
      { x: days, y: column(trend, "baseline_usd"), name: "Without routing", type: "scatter",
        mode: "lines", line: { color: colors.baseline, dash: "dot" } },
      { x: days, y: column(trend, "cost_usd"), name: "Cost", type: "scatter", mode: "lines",
        fill: "tozeroy", line: { color: colors.cost } },
    ], layout(), config),
    Plotly.newPlot("chart-savings", [
      { x: days, y: savings, name: "Savings", type: "bar",
        marker: { color: savings.map(function (v) { return v < 0 ? colors.loss : colors.savings; }) } },
    ], layout({ showlegend: false }), config),
    Plotly.newPlot("chart-providers", [
      { x: providers.map(function (row) { return row.provider; }),
        y: column(providers, "avg_cost_usd"), type: "bar", name: "Average cost per task",
        marker: { color: colors.cost } },
    ], layout({ showlegend: false, xaxis: { type: "category" } }), config),
    Plotly.newPlot("chart-routing", [
      { y: routing.map(function (row) { return row.routing_reason || "unknown"; }),
        x: routing.map(function (row) { return row.decisions; }), type: "bar",
        orientation: "h", marker: { color: colors.cost } },
    ], layout({ showlegend: false, margin: { t: 10, r: 10, b: 40, l: 130 },
      yaxis: { automargin: true }, xaxis: { title: { text: "decisions" }, gridcolor: "#e3e7ef" } }),
      config),
    Plotly.newPlot("chart-usage", [
      { x: usage.map(function (row) { return row.date; }),
        y: usage.map(function (row) { return row.tasks_created; }), type: "bar", name: "Tasks",
        marker: { color: colors.cost } },
      { x: usage.map(function (row) { return row.date; }),
        y: usage.map(function (row) { return row.active_users; }), type: "scatter",
        mode: "lines+markers", name: "Active users", yaxis: "y2", line: { color: colors.savings } },
    ], layout({ margin: { t: 10, r: 55, b: 40, l: 55 },
      yaxis: { title: { text: "tasks" }, gridcolor: "#e3e7ef" },
      yaxis2: { title: { text: "users" }, overlaying: "y", side: "right", rangemode: "tozero",
        tickformat: "d" } }), config),
  ];
  Promise.all(drawn).then(function () { document.body.dataset.chartsReady = "true"; });
})();
