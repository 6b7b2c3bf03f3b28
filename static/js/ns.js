/* The CityMap namespace: configuration, messages, DOM and fetch helpers shared by the controls. */
(function () {
  'use strict';
  var CityMap = window.CityMap = window.CityMap || {};

  /* Read the server's configuration blob (never inline globals). */
  CityMap.readConfig = function () {
    return JSON.parse(document.getElementById('map-config').textContent);
  };

  /* Translate a message key, filling {name} placeholders. */
  CityMap.t = function (key, values) {
    var text = (CityMap.messages && CityMap.messages[key]) || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split('{' + name + '}').join(String(values[name]));
    });
    return text;
  };

  /* Count one use of the map on the server (no identifier is sent or kept). */
  CityMap.count = function (kind, detail) {
    var body = JSON.stringify({kind: kind, detail: detail});
    try {
      if (navigator.sendBeacon) {
        navigator.sendBeacon('/api/usage', new Blob([body], {type: 'application/json'}));
      } else {
        fetch('/api/usage', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: body});
      }
    } catch (e) { /* counting must never break the map */ }
  };

  /* Fill a URL template like /map/features/{layer}.geojson, each value URL-encoded. */
  CityMap.url = function (template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) {
      return encodeURIComponent(values[name]);
    });
  };

  /* Make an element with attributes and text (textContent: no HTML is ever parsed). */
  CityMap.el = function (tag, attrs, text, parent) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== null && attrs[name] !== undefined && attrs[name] !== false) {
        node.setAttribute(name, attrs[name] === true ? '' : attrs[name]);
      }
    });
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  };

  /* Say something to screen readers through the page's live region. */
  CityMap.announce = function (text) {
    var region = document.getElementById('announcer');
    if (!region) { return; }
    region.textContent = '';
    window.setTimeout(function () { region.textContent = text; }, 50);
  };

  var pending = 0;
  /* Count work in flight (data-pending on <html>); at zero the view is drawn: data-map-ready
     and data-ready-at (ms since navigation) tell tests and the benchmark. */
  CityMap.busy = function (delta) {
    pending += delta;
    var root = document.documentElement;
    root.setAttribute('data-pending', String(pending));
    if (pending === 0) {
      if (!root.hasAttribute('data-ready-at')) { root.setAttribute('data-ready-at', String(Math.round(performance.now()))); }
      root.setAttribute('data-map-ready', '1');
      document.dispatchEvent(new CustomEvent('citymap:idle'));
    }
  };

  /* Count a promise's work (fetch and drawing) until it settles; return it. */
  CityMap.track = function (promise) {
    CityMap.busy(1);
    return promise.finally(function () { CityMap.busy(-1); });
  };

  /* Fetch JSON; an HTTP error rejects with the server's description. */
  CityMap.getJSON = function (url, options) {
    return fetch(url, Object.assign({headers: {Accept: 'application/json'}}, options || {}))
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            var error = new Error(body.description || String(response.status));
            error.status = response.status;
            throw error;
          }
          return body;
        });
      });
  };

  /* Return a layer's configuration by id. */
  CityMap.layerConfig = function (id) {
    return (CityMap.config.layers || []).filter(function (l) { return l.id === id; })[0];
  };
})();
