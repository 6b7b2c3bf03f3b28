/* The admin's upload forms: drop a file, watch it upload, read the report, preview the map.
   Without JavaScript the same forms post normally and the server shows the report page. */
(function () {
  'use strict';

  function el(tag, attrs, text, parent) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function showPreview(box, layerId) {
    if (!window.L) { return; }
    var holder = el('div', {'class': 'preview-map', role: 'img',
      'aria-label': 'Preview of ' + layerId + ' on a map'}, null, box);
    var map = L.map(holder, {attributionControl: false});
    fetch('/admin/api/layers/' + encodeURIComponent(layerId) + '/preview.geojson',
          {credentials: 'same-origin'})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {pointToLayer: function (f, ll) {
          return L.circleMarker(ll, {radius: 5, color: '#1d4e89'});
        }}).addTo(map);
        var b = data.bbox;
        if (b) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]]); } else { map.fitBounds(layer.getBounds()); }
      });
  }

  function showReport(box, layerId, report) {
    box.textContent = '';
    el('h2', null, 'Loaded ' + layerId + ' as version ' + report.version, box);
    el('p', {role: 'status'}, report.loaded + ' of ' + report.read + ' features loaded, ' +
      report.repaired + ' repaired, ' + report.rejected + ' rejected.', box);
    var list = el('ul', null, null, box);
    (report.sources || []).forEach(function (s) {
      el('li', null, s.name + ': ' + s.driver + ', CRS ' + s.crs + ' (' + s.crs_origin +
        '), encoding ' + s.encoding, list);
    });
    Object.keys(report.rejected_reasons || {}).forEach(function (reason) {
      el('li', null, 'rejected ' + report.rejected_reasons[reason] + ': ' + reason, list);
    });
    (report.warnings || []).forEach(function (w) { el('li', null, 'warning: ' + w, list); });
    var link = el('a', {href: '/admin/layers/' + encodeURIComponent(layerId)},
      'Describe and publish ' + layerId, el('p', null, null, box));
    link.focus();
    showPreview(box, layerId);
  }

  function enhance(form) {
    var file = form.querySelector('input[type=file]');
    var zone = el('div', {'class': 'drop-zone'}, 'or drop the file here');
    file.parentNode.insertBefore(zone, file.nextSibling);
    ['dragenter', 'dragover'].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add('over'); });
    });
    ['dragleave', 'drop'].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove('over'); });
    });
    zone.addEventListener('drop', function (e) {
      e.preventDefault();
      if (e.dataTransfer.files.length) { file.files = e.dataTransfer.files; zone.textContent = file.files[0].name; }
    });
    var progress = el('progress', {max: '100', value: '0', hidden: '', 'aria-label': 'Upload progress'});
    var result = el('div', {'class': 'upload-result', 'aria-live': 'polite'});
    form.appendChild(progress);
    form.parentNode.insertBefore(result, form.nextSibling);

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var data = new FormData(form);
      var layerId = data.get('layer_id');
      var xhr = new XMLHttpRequest();
      xhr.open('POST', '/admin/api/layers/' + encodeURIComponent(layerId) + '/upload');
      xhr.setRequestHeader('X-CSRF-Token', data.get('csrf_token'));
      xhr.upload.addEventListener('progress', function (ev) {
        if (ev.lengthComputable) { progress.value = Math.round(100 * ev.loaded / ev.total); }
      });
      progress.hidden = false;
      result.textContent = 'Uploading and checking…';
      xhr.onload = function () {
        progress.hidden = true;
        var body;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = {description: xhr.statusText}; }
        if (xhr.status === 201) { showReport(result, layerId, body); }
        else { result.textContent = ''; el('p', {'class': 'problem', role: 'alert'}, body.description, result); }
      };
      xhr.onerror = function () { progress.hidden = true; result.textContent = 'The upload failed; nothing was changed.'; };
      xhr.send(data);
    });
  }

  document.querySelectorAll('form[data-upload]').forEach(enhance);
}());
