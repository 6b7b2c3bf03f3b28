/* Popups: a feature's public fields, labelled with the manifest's titles, built from DOM nodes. */
(function () {
  'use strict';
  var CityMap = window.CityMap;

  function formatValue(field, value) {
    if (value === null || value === undefined || value === '') { return null; }
    if (typeof value === 'boolean') { return CityMap.t(value ? 'yes' : 'no'); }
    if (field.type === 'float') {
      return Number(value).toLocaleString(CityMap.config.lang, {maximumFractionDigits: 2});
    }
    if (field.name === 'kind' && CityMap.messages['kind.' + value]) { return CityMap.t('kind.' + value); }
    return String(value);
  }

  /* Return the popup's DOM for one feature (GeoJSON from /map/features/{layer}/{fid}.json). */
  CityMap.popupContent = function (layer, feature) {
    var root = CityMap.el('div', {'class': 'ms-popup'});
    var props = feature.properties || {};
    var heading = props.name || props[layer.fields[0] && layer.fields[0].name] || layer.title;
    CityMap.el('h2', null, String(heading), root);
    CityMap.el('p', {'class': 'ms-hint'}, layer.title, root);
    var list = CityMap.el('dl', null, null, root);
    layer.fields.forEach(function (field) {
      var text = formatValue(field, props[field.name]);
      var dt = CityMap.el('dt', {title: field.description}, field.label, list);
      dt.setAttribute('data-field', field.name);
      var dd = CityMap.el('dd', {'data-field': field.name}, null, list);
      if (text === null) {
        CityMap.el('span', {'class': 'not-given'}, CityMap.t('not_given'), dd);
      } else if (/^https?:\/\//.test(text)) {
        CityMap.el('a', {href: text, rel: 'noopener'}, text, dd);
      } else {
        dd.textContent = text;
      }
    });
    if (layer.page) {
      // The manifest's `page`: each feature of this layer has its own page on the site.
      var link = CityMap.el('a', {href: CityMap.url(layer.page, {fid: feature.id})},
        CityMap.t('building_page'), CityMap.el('p', null, null, root));
      link.setAttribute('data-feature-page', String(feature.id));
    }
    return root;
  };

  /* Fetch one feature and open its popup; with `highlight`, outline it and zoom to it. */
  CityMap.showFeature = function (map, layerId, fid, latlng, highlight) {
    var layer = CityMap.layerConfig(layerId);
    if (!layer) { return Promise.resolve(null); }
    var url = CityMap.url(CityMap.config.urls.feature, {layer: layerId, fid: fid});
    return CityMap.track(CityMap.getJSON(url).then(function (feature) {
      var target = latlng;
      if (highlight) {
        CityMap.highlight(map, feature);
        var b = feature.bbox;
        var bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
        map.fitBounds(bounds, {maxZoom: 18, animate: false});
        target = target || bounds.getCenter();
      }
      var popup = L.popup({maxWidth: 360, maxHeight: Math.round(map.getSize().y * 0.5),
        autoPanPaddingTopLeft: [20, 140], autoPanPaddingBottomRight: [20, 20]})
        .setLatLng(target || map.getCenter())
        .setContent(CityMap.popupContent(layer, feature))
        .openOn(map);
      var content = popup.getElement() && popup.getElement().querySelector('.leaflet-popup-content');
      if (content) {
        // A long popup scrolls: keyboard users must be able to reach and scroll it.
        content.setAttribute('tabindex', '0');
        content.setAttribute('role', 'group');
        content.setAttribute('aria-label', layer.title);
      }
      var close = popup.getElement() && popup.getElement().querySelector('.leaflet-popup-close-button');
      if (close) { close.setAttribute('aria-label', CityMap.t('close')); close.removeAttribute('role'); }
      return feature;
    }).catch(function (error) {
      CityMap.announce(CityMap.t('load_failed', {layer: layer.title}) + ': ' + error.message);
      return null;
    }));
  };

  /* Outline one feature above every layer (the search result, a list choice). */
  CityMap.highlight = function (map, feature) {
    if (!CityMap.highlightLayer) { CityMap.highlightLayer = L.featureGroup().addTo(map); }
    CityMap.highlightLayer.clearLayers();
    L.geoJSON(feature, {
      interactive: false,
      style: function () { return {color: '#d81b60', weight: 4, fillOpacity: 0.15, className: 'ms-highlight'}; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 12, color: '#d81b60', weight: 4, fillOpacity: 0.1, className: 'ms-highlight'});
      }
    }).addTo(CityMap.highlightLayer);
  };
})();
