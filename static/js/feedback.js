/* The 0-10 "would you recommend this map" widget, and a link to request a dataset. */
(function () {
  'use strict';
  var CityMap = window.CityMap;

  CityMap.FeedbackControl = CityMap.PanelControl.extend({
    options: {position: 'bottomleft', name: 'feedback'},
    initialize: function (options) {
      L.setOptions(this, L.extend({label: CityMap.t('feedback')}, options));
    },
    build: function (panel) {
      var form = CityMap.el('form', {'class': 'ms-feedback-form'}, null, panel);
      var set = CityMap.el('fieldset', {'class': 'ms-nps'}, null, form);
      CityMap.el('legend', null, CityMap.t('nps_question'), set);
      for (var n = 0; n <= 10; n++) {
        var label = CityMap.el('label', null, null, set);
        CityMap.el('input', {type: 'radio', name: 'score', value: String(n), required: true}, null, label);
        label.appendChild(document.createTextNode(String(n)));
      }
      CityMap.el('label', {'for': 'ms-nps-comment'}, CityMap.t('comment_optional'), form);
      var comment = CityMap.el('textarea', {id: 'ms-nps-comment', name: 'comment', rows: '2', maxlength: '2000'}, null, form);
      var actions = CityMap.el('div', {'class': 'ms-actions'}, null, form);
      CityMap.el('button', {type: 'submit'}, CityMap.t('send'), actions);
      CityMap.el('a', {href: CityMap.config.urls.feedback}, CityMap.t('request_dataset'), actions);
      var status = CityMap.el('p', {role: 'status', 'class': 'ms-hint'}, null, panel);
      L.DomEvent.on(form, 'submit', function (e) {
        L.DomEvent.preventDefault(e);
        var chosen = form.querySelector('input[name=score]:checked');
        fetch(CityMap.config.urls.score, {method: 'POST', headers: {'Content-Type': 'application/json',
          Accept: 'application/json'}, body: JSON.stringify({score: chosen ? Number(chosen.value) : null,
          comment: comment.value})})
          .then(function (r) { return r.json(); })
          .then(function (body) { status.textContent = body.message || body.description; });
      });
    }
  });
})();
