/* Thematic modules as Leaflet layers: vector tiles for dense layers when a tile server answers
   (TileJSON at /tiles/{layer}.json), else GeoJSON of the features in view. */
(function () {
  'use strict';
  var CityMap = window.CityMap;

  // Each layer's `style` arrives resolved (Leaflet path options, defaults included) from the
  // server (mapserver/layers/style.py): the map draws with it as it is.

  /* GeoJSON of the features in view, refetched when the view moves (row-limited by the server). */
  CityMap.BBoxLayer = L.FeatureGroup.extend({
    initialize: function (layer, options) {
      L.FeatureGroup.prototype.initialize.call(this, [], options);
      this._cfg = layer;
      this._renderer = layer.dense ? L.canvas({padding: 0.2}) : L.svg({padding: 0.2});
    },
    onAdd: function (map) {
      L.FeatureGroup.prototype.onAdd.call(this, map);
      map.on('moveend', this._refresh, this);
      this._refresh();
    },
    onRemove: function (map) {
      map.off('moveend', this._refresh, this);
      if (this._abort) { this._abort.abort(); }
      this.clearLayers();
      L.FeatureGroup.prototype.onRemove.call(this, map);
    },
    _refresh: function () {
      var map = this._map;
      if (!map) { return; }
      if (this._abort) { this._abort.abort(); }
      if (map.getZoom() < this._cfg.minzoom) { this.clearLayers(); return; }
      var b = map.getBounds().pad(0.2);
      var bbox = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90),
        Math.min(b.getEast(), 180), Math.min(b.getNorth(), 90)].map(function (v) { return v.toFixed(6); });
      var url = CityMap.url(CityMap.config.urls.features, {layer: this._cfg.id}) + '?bbox=' + bbox.join(',');
      var controller = this._abort = new AbortController();
      var self = this;
      CityMap.track(CityMap.getJSON(url, {signal: controller.signal}).then(function (body) {
        if (controller.signal.aborted || !self._map) { return; }
        self._draw(body);
      }).catch(function (error) {
        if (error.name !== 'AbortError') { CityMap.announce(CityMap.t('load_failed', {layer: self._cfg.title})); }
      }));
    },
    _draw: function (body) {
      var cfg = this._cfg, style = cfg.style, renderer = this._renderer;
      var className = 'ms-feature ms-layer-' + cfg.id;
      this.clearLayers();
      L.geoJSON(body, {
        style: function () { return L.extend({renderer: renderer, className: className}, style); },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, L.extend({renderer: renderer, className: className}, style));
        },
        onEachFeature: function (feature, path) {
          path.on('click', function (e) {
            CityMap.showFeature(e.target._map || path._map, cfg.id, feature.properties.fid, e.latlng);
          });
        }
      }).eachLayer(function (l) { this.addLayer(l); }, this);
      this.truncated = body.truncated;
      this.fire('citymap:drawn');
    }
  });

  // Leaflet.VectorGrid 1.3.0 calls L.DomEvent.fakeStop, which Leaflet 1.8 removed: a click on a
  // tile feature threw. Leaflet 1.9 skips the map's own handling of an event marked _stopped.
  if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function (e) { e._stopped = true; }; }

  var vectorGridLoading = null;
  function loadVectorGrid() {
    if (L.vectorGrid) { return Promise.resolve(); }
    vectorGridLoading = vectorGridLoading || new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      script.src = '/vendor/vectorgrid/vectorgrid.js';
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
    return vectorGridLoading;
  }

  function vectorTiles(cfg, tilejson) {
    var names = (tilejson.vector_layers || []).map(function (v) { return v.id; });
    if (names.indexOf(cfg.id) < 0) { names.push(cfg.id); }
    var styles = {};
    names.forEach(function (name) { styles[name] = L.extend({}, cfg.style); });
    var grid = L.vectorGrid.protobuf(tilejson.tiles[0], {
      rendererFactory: L.canvas.tile,
      vectorTileLayerStyles: styles,
      interactive: true,
      minZoom: cfg.minzoom,
      maxNativeZoom: tilejson.maxzoom || cfg.maxzoom,
      // Tiles carry the feature id (fid) as the MVT id: keep it on the properties for clicks.
      getFeatureId: function (f) {
        if (f.properties && f.properties.fid === undefined) { f.properties.fid = f.id; }
        return f.id;
      }
    });
    // The first view counts as drawn once its tiles have loaded.
    grid.on('loading', function () { if (!grid._busy) { grid._busy = true; CityMap.busy(1); } });
    grid.on('load remove', function () { if (grid._busy) { grid._busy = false; CityMap.busy(-1); } });
    grid.on('click', function (e) {
      var fid = e.layer && e.layer.properties && e.layer.properties.fid;
      if (fid !== undefined && fid !== null) { CityMap.showFeature(grid._map, cfg.id, fid, e.latlng); }
    });
    return grid;
  }

  /* One module on the map: a group whose inner layer is chosen the first time it is shown. */
  CityMap.ModuleLayer = L.LayerGroup.extend({
    initialize: function (cfg) {
      L.LayerGroup.prototype.initialize.call(this, []);
      this.cfg = cfg;
      this._inner = null;
    },
    onAdd: function (map) {
      L.LayerGroup.prototype.onAdd.call(this, map);
      var self = this;
      CityMap.track(this._choose().then(function (inner) {
        if (self._map && !self.hasLayer(inner)) { self.addLayer(inner); }
      }));
    },
    _choose: function () {
      var cfg = this.cfg, self = this;
      if (this._inner) { return Promise.resolve(this._inner); }
      var plain = function () { return new CityMap.BBoxLayer(cfg); };
      var chosen;
      if (!cfg.dense) {
        chosen = Promise.resolve(plain());
      } else {
        chosen = CityMap.getJSON(CityMap.url(CityMap.config.urls.tilejson, {layer: cfg.id}))
          .then(function (tilejson) {
            if (!tilejson.tiles || !tilejson.tiles.length) { throw new Error('no tiles'); }
            return loadVectorGrid().then(function () { return vectorTiles(cfg, tilejson); });
          })
          .catch(function () { return plain(); }); // 404: no tile server here, draw GeoJSON
      }
      return chosen.then(function (inner) { self._inner = inner; self.source = inner instanceof CityMap.BBoxLayer ? 'geojson' : 'tiles'; return inner; });
    }
  });
})();
