/* Permalinks: the URL's hash keeps the view and the active modules, e.g.
   #map=16/42.37360/-71.10970&layers=parcels,public-buildings */
(function () {
  'use strict';
  var CityMap = window.CityMap;

  /* Return {zoom, lat, lng, layers} from a hash, or null when it holds no view. */
  CityMap.parseHash = function (hash) {
    var params = new URLSearchParams((hash || '').replace(/^#/, ''));
    var view = (params.get('map') || '').split('/').map(Number);
    var state = {layers: params.has('layers') ? params.get('layers').split(',').filter(Boolean) : null};
    if (view.length === 3 && view.every(isFinite) && Math.abs(view[1]) <= 90 && Math.abs(view[2]) <= 180) {
      state.zoom = view[0]; state.lat = view[1]; state.lng = view[2];
    }
    return state;
  };

  CityMap.formatHash = function (map, modules) {
    var c = map.getCenter(), precision = Math.max(0, Math.ceil(Math.log(map.getZoom() + 1) / Math.LN2));
    var active = Object.keys(modules).filter(function (id) { return map.hasLayer(modules[id]); });
    return '#map=' + map.getZoom() + '/' + c.lat.toFixed(precision + 1) + '/' + c.lng.toFixed(precision + 1) +
      '&layers=' + active.join(',');
  };

  /* Keep the hash in step with the map, and the map with a hash typed or followed. */
  CityMap.Permalink = L.Class.extend({
    initialize: function (map, modules, layerControl) {
      this._map = map; this._modules = modules; this._control = layerControl;
      map.on('moveend citymap:layers', this.write, this);
      L.DomEvent.on(window, 'hashchange', this.read, this);
    },
    write: function () {
      var hash = CityMap.formatHash(this._map, this._modules);
      this._last = hash;
      if (window.location.hash !== hash) { window.history.replaceState(null, '', hash); }
      // The language links keep the view.
      document.querySelectorAll('.lang-switch a').forEach(function (a) {
        a.setAttribute('href', '?lang=' + a.getAttribute('hreflang') + hash);
      });
    },
    read: function () {
      if (window.location.hash === this._last) { return; }
      CityMap.applyState(this._map, this._modules, CityMap.parseHash(window.location.hash));
      if (this._control) { this._control.sync(); }
    }
  });

  /* Apply a parsed state: the active modules, then the view. Return whether a view was set. */
  CityMap.applyState = function (map, modules, state) {
    if (state.layers) {
      Object.keys(modules).forEach(function (id) {
        var on = state.layers.indexOf(id) >= 0;
        if (on && !map.hasLayer(modules[id])) { map.addLayer(modules[id]); }
        if (!on && map.hasLayer(modules[id])) { map.removeLayer(modules[id]); }
      });
    }
    if (state.zoom !== undefined) {
      map.setView([state.lat, state.lng], state.zoom, {animate: false});
      return true;
    }
    return false;
  };
})();
