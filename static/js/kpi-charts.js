/* Charts of the KPI page, drawn from the same numbers as its tables (#kpi-data). */
(function () {
  'use strict';
  if (!window.Chart) { return; }
  var data = JSON.parse(document.getElementById('kpi-data').textContent);

  function draw(name, type, labels, datasets) {
    var canvas = document.getElementById('chart-' + name);
    if (!canvas || !labels.length) { return; }
    canvas.removeAttribute('hidden');
    new window.Chart(canvas, {type: type, data: {labels: labels, datasets: datasets},
      options: {animation: false, responsive: true, plugins: {legend: {position: 'bottom'}}}});
  }

  function monthly(detail, keys) {
    var months = Object.keys(detail || {}).sort();
    return {months: months, series: keys.map(function (key) {
      return {label: key.replace(/_/g, ' '), data: months.map(function (m) { return detail[m][key] || 0; })};
    })};
  }

  if (data.modules) {
    var points = data.modules.over_time || [];
    draw('modules', 'line', points.map(function (p) { return p.day; }),
      [{label: 'modules', data: points.map(function (p) { return p.value; })}]);
  }
  if (data.map_use) {
    var use = monthly(data.map_use.per_month, ['page_view', 'module_toggle', 'search']);
    draw('map_use', 'bar', use.months, use.series);
  }
  if (data.downloads) {
    var perMonth = data.downloads.per_month_and_category || {};
    var categories = {};
    Object.keys(perMonth).forEach(function (m) { Object.keys(perMonth[m]).forEach(function (c) { categories[c] = 1; }); });
    var dl = monthly(perMonth, Object.keys(categories).sort());
    draw('downloads', 'bar', dl.months, dl.series);
  }
  if (data.nps) {
    var nps = monthly(data.nps.per_month, ['nps']);
    draw('nps', 'line', nps.months, nps.series);
  }
}());
