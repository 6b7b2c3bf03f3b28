/* Start the map: modules from the configuration, the view from the permalink, then the controls. */
(function () {
  'use strict';
  var CityMap = window.CityMap;

  function start() {
    var config = CityMap.config = CityMap.readConfig();
    CityMap.messages = config.messages;
    var map = CityMap.map = L.map('map', {zoomControl: false, keyboard: true, minZoom: 3, maxZoom: 20});
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" rel="noopener">Leaflet</a>');
    L.control.zoom({position: 'bottomright', zoomInTitle: CityMap.t('zoom_in'), zoomOutTitle: CityMap.t('zoom_out')}).addTo(map);
    if (config.basemap) {
      L.tileLayer(config.basemap.url, {attribution: config.basemap.attribution, maxZoom: 20}).addTo(map);
    }
    var modules = CityMap.modules = {};
    var credits = {};
    config.layers.forEach(function (cfg) {
      modules[cfg.id] = new CityMap.ModuleLayer(cfg);
      credits[cfg.attribution] = true;
    });
    Object.keys(credits).forEach(function (c) { map.attributionControl.addAttribution(c.replace(/[<>&]/g, '')); });

    var state = CityMap.parseHash(window.location.hash);
    if (!state.layers) {
      state.layers = config.layers.filter(function (l) { return l.default_on; }).map(function (l) { return l.id; });
    }
    if (!CityMap.applyState(map, modules, state)) {
      var b = config.bounds;
      if (b) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {animate: false}); } else { map.setView([0, 0], 3); }
    }
    var search = CityMap.search = new CityMap.SearchControl().addTo(map);
    var wide = window.matchMedia('(min-width: 768px)').matches;
    var layerControl = CityMap.layerControl = new CityMap.LayerControl(modules, {expanded: wide}).addTo(map);
    CityMap.listControl = new CityMap.ListControl(modules).addTo(map);
    new CityMap.LocateControl().addTo(map);
    new CityMap.FeedbackControl().addTo(map);
    CityMap.permalink = new CityMap.Permalink(map, modules, layerControl);
    CityMap.permalink.write();

    var find = new URLSearchParams(window.location.search).get('find');
    if (find) { search.find(find); }
    // Nothing to load (no module on): the view is drawn as it is.
    if (!document.documentElement.hasAttribute('data-pending')) { CityMap.busy(0); }
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
