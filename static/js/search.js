/* The search box: parcel ids, addresses and building names with suggestions (an ARIA combobox). */
(function () {
  'use strict';
  var CityMap = window.CityMap;

  CityMap.SearchControl = L.Control.extend({
    options: {position: 'topleft', delay: 250},
    onAdd: function (map) {
      this._map = map;
      var container = CityMap.el('div', {'class': 'leaflet-control ms-control ms-search'});
      var form = CityMap.el('form', {role: 'search', 'aria-label': CityMap.t('search_button')}, null, container);
      CityMap.el('label', {'for': 'ms-search-input', 'class': 'visually-hidden'}, CityMap.t('search_label'), form);
      this._input = CityMap.el('input', {id: 'ms-search-input', type: 'search', role: 'combobox',
        autocomplete: 'off', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
        'aria-controls': 'ms-search-suggestions', placeholder: CityMap.t('search_placeholder')}, null, form);
      CityMap.el('button', {type: 'submit'}, CityMap.t('search_button'), form);
      this._list = CityMap.el('ul', {id: 'ms-search-suggestions', role: 'listbox',
        'aria-label': CityMap.t('search_label'), hidden: true}, null, container);
      this._results = [];
      this._active = -1;
      L.DomEvent.disableClickPropagation(container);
      L.DomEvent.disableScrollPropagation(container);
      L.DomEvent.on(form, 'submit', this._submit, this);
      L.DomEvent.on(this._input, 'input', this._typed, this);
      L.DomEvent.on(this._input, 'keydown', this._key, this);
      return container;
    },
    _typed: function () {
      window.clearTimeout(this._timer);
      var text = this._input.value.trim();
      if (text.length < 2) { this._show([]); return; }
      this._timer = window.setTimeout(L.bind(function () { this.lookup(text); }, this), this.options.delay);
    },
    /* Ask the server; resolve to the results shown as suggestions. */
    lookup: function (text) {
      var self = this;
      if (this._abort) { this._abort.abort(); }
      var controller = this._abort = new AbortController();
      var url = CityMap.config.urls.search + '?q=' + encodeURIComponent(text);
      return CityMap.track(CityMap.getJSON(url, {signal: controller.signal}).then(function (body) {
        self._query = text;
        self._show(body.results || []);
        CityMap.announce(body.results.length ? CityMap.t('search_results', {n: body.results.length})
          : CityMap.t('search_no_results', {q: text}));
        return body.results;
      }).catch(function (error) {
        if (error.name === 'AbortError') { return []; }
        self._show([]);
        CityMap.announce(CityMap.t('search_failed', {reason: error.message}));
        return [];
      }));
    },
    _show: function (results) {
      this._results = results;
      this._active = -1;
      this._input.removeAttribute('aria-activedescendant');
      while (this._list.firstChild) { this._list.removeChild(this._list.firstChild); }
      var self = this;
      results.forEach(function (r, i) {
        var item = CityMap.el('li', {role: 'option', id: 'ms-suggestion-' + i, 'aria-selected': 'false',
          'data-layer': r.layer, 'data-fid': String(r.fid)}, null, self._list);
        CityMap.el('span', null, String(r.label), item);
        var detail = [r.detail, r.layer_title].filter(Boolean).join(' · ');
        CityMap.el('div', {'class': 'ms-detail'}, detail, item);
        L.DomEvent.on(item, 'click', function () { self.choose(i); });
      });
      var open = results.length > 0;
      this._list.hidden = !open;
      this._input.setAttribute('aria-expanded', String(open));
    },
    _move: function (step) {
      if (!this._results.length) { return; }
      this._active = (this._active + step + this._results.length) % this._results.length;
      var items = this._list.children;
      for (var i = 0; i < items.length; i++) { items[i].setAttribute('aria-selected', String(i === this._active)); }
      this._input.setAttribute('aria-activedescendant', 'ms-suggestion-' + this._active);
      items[this._active].scrollIntoView({block: 'nearest'});
    },
    _key: function (e) {
      if (e.key === 'ArrowDown') { e.preventDefault(); this._move(1); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); this._move(-1); }
      else if (e.key === 'Escape') { this._show([]); }
    },
    _submit: function (e) {
      L.DomEvent.preventDefault(e);
      var text = this._input.value.trim();
      if (this._active >= 0) { this.choose(this._active); return; }
      if (this._results.length && this._query === text) { this.choose(0); return; }
      var self = this;
      if (text.length < 2) { CityMap.announce(CityMap.t('search_failed', {reason: CityMap.t('search_label')})); return; }
      window.clearTimeout(this._timer);
      this.lookup(text).then(function (results) { if (results.length) { self.choose(0); } });
    },
    /* Zoom to a result, outline it and open its popup. */
    choose: function (index) {
      var r = this._results[index];
      if (!r) { return Promise.resolve(null); }
      this._input.value = r.label;
      this._show([]);
      CityMap.announce(CityMap.t('found', {label: r.label}));
      return CityMap.showFeature(this._map, r.layer, r.fid, null, true);
    },
    /* Search `text` and show its best result (the ?find= link of a building page). */
    find: function (text) {
      var self = this;
      this._input.value = text;
      return this.lookup(text).then(function (results) { return results.length ? self.choose(0) : null; });
    }
  });
})();
