/* The layer list: modules grouped by category, each a labelled checkbox with its legend swatch. */
(function () {
  'use strict';
  var CityMap = window.CityMap;

  /* A collapsible panel control: a toggle button with aria-expanded and a panel it controls. */
  CityMap.PanelControl = L.Control.extend({
    options: {position: 'topright', name: 'panel', label: '', expanded: false},
    onAdd: function (map) {
      var name = this.options.name;
      var container = CityMap.el('div', {'class': 'leaflet-control ms-control ms-' + name});
      this._button = CityMap.el('button', {type: 'button', 'class': 'ms-toggle', id: 'ms-' + name + '-toggle',
        'aria-expanded': 'false', 'aria-controls': 'ms-' + name + '-panel'}, this.options.label, container);
      this._panel = CityMap.el('section', {'class': 'ms-panel', id: 'ms-' + name + '-panel', hidden: true,
        'aria-labelledby': 'ms-' + name + '-heading'}, null, container);
      CityMap.el('h2', {id: 'ms-' + name + '-heading', 'class': 'visually-hidden'}, this.options.label, this._panel);
      L.DomEvent.disableClickPropagation(container);
      L.DomEvent.disableScrollPropagation(container);
      L.DomEvent.on(this._button, 'click', function () { this.toggle(); }, this);
      L.DomEvent.on(container, 'keydown', function (e) {
        if (e.key === 'Escape' && this.expanded()) { this.toggle(false); this._button.focus(); }
      }, this);
      this._map = map;
      this.build(this._panel, map);
      this.toggle(this.options.expanded);
      return container;
    },
    build: function () {},
    expanded: function () { return !this._panel.hidden; },
    toggle: function (open) {
      open = open === undefined ? !this.expanded() : open;
      this._panel.hidden = !open;
      this._button.setAttribute('aria-expanded', String(open));
      if (open && this.opened) { this.opened(); }
    }
  });

  function swatch(cfg) {
    var style = cfg.style;
    var node = CityMap.el('span', {'class': 'ms-swatch ' + cfg.geometry, 'aria-hidden': 'true'});
    node.style.borderColor = style.color;
    if (cfg.geometry !== 'line') {
      node.style.backgroundColor = style.fillColor;
      node.style.opacity = String(Math.max(style.fillOpacity, 0.35));
    }
    return node;
  }

  CityMap.LayerControl = CityMap.PanelControl.extend({
    options: {position: 'topright', name: 'layers'},
    initialize: function (modules, options) {
      L.setOptions(this, L.extend({label: CityMap.t('layers')}, options));
      this._modules = modules;
    },
    build: function (panel, map) {
      var modules = this._modules;
      CityMap.config.categories.forEach(function (category) {
        var members = CityMap.config.layers.filter(function (l) { return l.category === category.id; });
        if (!members.length) { return; }
        var set = CityMap.el('fieldset', null, null, panel);
        CityMap.el('legend', null, category.title, set);
        members.forEach(function (cfg) {
          var row = CityMap.el('div', {'class': 'ms-layer-row'}, null, set);
          var input = CityMap.el('input', {type: 'checkbox', id: 'layer-toggle-' + cfg.id,
            'data-layer': cfg.id, 'aria-describedby': 'layer-hint-' + cfg.id}, null, row);
          input.checked = map.hasLayer(modules[cfg.id]);
          row.appendChild(swatch(cfg));
          CityMap.el('label', {'for': input.id, title: cfg.description}, cfg.title, row);
          CityMap.el('span', {'class': 'ms-hint', id: 'layer-hint-' + cfg.id},
            cfg.minzoom > 0 ? '(' + CityMap.t('visible_from_zoom', {zoom: cfg.minzoom}) + ')' : '', row);
          L.DomEvent.on(input, 'change', function () {
            if (input.checked) { map.addLayer(modules[cfg.id]); } else { map.removeLayer(modules[cfg.id]); }
            CityMap.count('module_toggle', cfg.id);
            map.fire('citymap:layers');
          });
        });
      });
      var print = CityMap.el('button', {type: 'button', 'class': 'ms-print'}, CityMap.t('print'), panel);
      L.DomEvent.on(print, 'click', function () { window.print(); });
    },
    /* Tick the boxes to match the map (after a permalink changed the active modules). */
    sync: function () {
      var map = this._map, modules = this._modules;
      Object.keys(modules).forEach(function (id) {
        var box = document.getElementById('layer-toggle-' + id);
        if (box) { box.checked = map.hasLayer(modules[id]); }
      });
    }
  });
})();
