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
  function setPending(delta) {
    pending += delta;
    document.documentElement.setAttribute('data-pending', String(pending));
    if (pending === 0) { document.dispatchEvent(new CustomEvent('citymap:idle')); }
  }

  /* Fetch JSON, counting requests in flight (data-pending on <html>, used by tests and bench). */
  CityMap.getJSON = function (url, options) {
    setPending(1);
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
      })
      .finally(function () { setPending(-1); });
  };

  /* Return a layer's configuration by id. */
  CityMap.layerConfig = function (id) {
    return (CityMap.config.layers || []).filter(function (l) { return l.id === id; })[0];
  };
})();
