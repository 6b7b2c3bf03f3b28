/* "Show my location": the browser's geolocation, a circle of its accuracy, or a spoken reason. */
(function () {
  'use strict';
  var CityMap = window.CityMap;

  CityMap.LocateControl = L.Control.extend({
    options: {position: 'bottomright'},
    onAdd: function (map) {
      var container = CityMap.el('div', {'class': 'leaflet-control ms-control ms-locate'});
      var button = CityMap.el('button', {type: 'button', 'class': 'ms-toggle', id: 'ms-locate'},
        CityMap.t('locate'), container);
      L.DomEvent.disableClickPropagation(container);
      L.DomEvent.on(button, 'click', function () { map.locate({setView: true, maxZoom: 17}); });
      map.on('locationfound', function (e) {
        if (this._circle) { map.removeLayer(this._circle); }
        this._circle = L.circle(e.latlng, {radius: e.accuracy, color: '#0b4f9c', interactive: false}).addTo(map);
        CityMap.announce(CityMap.t('locate_found'));
      }, this);
      map.on('locationerror', function (e) {
        CityMap.announce(CityMap.t('locate_failed', {reason: e.message}));
      });
      return container;
    }
  });
})();
