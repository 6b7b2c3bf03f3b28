/* The list of features in view: an accessible alternative to pointing at the map. */
(function () {
  'use strict';
  var CityMap = window.CityMap;
  var PER_LAYER = 50;

  CityMap.ListControl = CityMap.PanelControl.extend({
    options: {position: 'topright', name: 'list'},
    initialize: function (modules, options) {
      L.setOptions(this, L.extend({label: CityMap.t('list_view')}, options));
      this._modules = modules;
    },
    build: function (panel, map) {
      this._body = CityMap.el('div', {'class': 'ms-list-body'}, null, panel);
      map.on('moveend citymap:layers', function () { if (this.expanded()) { this.refresh(); } }, this);
    },
    opened: function () { this.refresh(); },
    /* List the features of every active module in the current view. */
    refresh: function () {
      var map = this._map, modules = this._modules, body = this._body;
      var b = map.getBounds();
      var bbox = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90), Math.min(b.getEast(), 180),
        Math.min(b.getNorth(), 90)].map(function (v) { return v.toFixed(6); }).join(',');
      var active = CityMap.config.layers.filter(function (l) { return map.hasLayer(modules[l.id]); });
      var token = this._token = {};
      var self = this;
      var requests = active.map(function (cfg) {
        if (map.getZoom() < cfg.minzoom) { return Promise.resolve({cfg: cfg, zoomIn: true}); }
        var url = CityMap.url(CityMap.config.urls.features, {layer: cfg.id}) + '?bbox=' + bbox + '&limit=' + PER_LAYER;
        return CityMap.getJSON(url).then(function (fc) { return {cfg: cfg, fc: fc}; })
          .catch(function () { return {cfg: cfg, failed: true}; });
      });
      Promise.all(requests).then(function (parts) {
        if (token !== self._token) { return; }
        while (body.firstChild) { body.removeChild(body.firstChild); }
        var shown = 0;
        parts.forEach(function (part) {
          if (part.zoomIn) { CityMap.el('p', {'class': 'ms-hint'}, CityMap.t('list_zoom_in', {layer: part.cfg.title}), body); return; }
          if (part.failed) { CityMap.el('p', {'class': 'ms-hint'}, CityMap.t('load_failed', {layer: part.cfg.title}), body); return; }
          if (!part.fc.features.length) { return; }
          CityMap.el('h3', null, part.cfg.title, body);
          var list = CityMap.el('ul', null, null, body);
          part.fc.features.forEach(function (f) {
            shown += 1;
            var text = [f.properties.label || part.cfg.title + ' ' + f.properties.fid, f.properties.address]
              .filter(Boolean).join(' — ');
            var button = CityMap.el('button', {type: 'button', 'data-layer': part.cfg.id, 'data-fid': String(f.properties.fid)},
              text, CityMap.el('li', null, null, list));
            L.DomEvent.on(button, 'click', function () {
              CityMap.showFeature(map, part.cfg.id, f.properties.fid, null, true);
            });
          });
          if (part.fc.truncated) { CityMap.el('p', {'class': 'ms-hint'}, CityMap.t('list_more', {n: PER_LAYER}), body); }
        });
        if (!shown) { CityMap.el('p', null, CityMap.t('list_empty'), body); }
      });
    }
  });
})();
