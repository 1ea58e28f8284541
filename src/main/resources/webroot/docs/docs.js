// Swagger UI on /openapi.json: asks for the API key once (kept in sessionStorage, shared with the dashboard),
// then sends it with the document request and with every "Try it out" call.
(function () {
  'use strict';
  var STORE = 'hookrelay.apiKey';
  var form = document.getElementById('key-form');
  var input = document.getElementById('key-input');
  var error = document.getElementById('key-error');

  function open(key) {
    fetch('/openapi.json', { headers: { Authorization: 'Bearer ' + key } }).then(function (r) {
      if (r.status === 401) {
        sessionStorage.removeItem(STORE);
        ask('That key was refused.');
        return;
      }
      sessionStorage.setItem(STORE, key);
      form.hidden = true;
      var ui = SwaggerUIBundle({
        url: '/openapi.json',
        dom_id: '#swagger-ui',
        deepLinking: true,
        // Marks the bearer schemes as authorised, so the padlocks show locked and "Try it out" sends the key (an
        // admin key or a tenant token: both are Bearer credentials).
        onComplete: function () {
          ui.preauthorizeApiKey('adminKey', key);
          ui.preauthorizeApiKey('tenantToken', key);
        },
        requestInterceptor: function (request) {
          if (!request.headers.Authorization) {
            request.headers.Authorization = 'Bearer ' + key;
          }
          return request;
        }
      });
    }, function () {
      ask('The server did not answer.');
    });
  }

  function ask(message) {
    error.textContent = message || '';
    form.hidden = false;
    input.focus();
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    open(input.value.trim());
  });

  var saved = sessionStorage.getItem(STORE);
  if (saved) {
    open(saved);
  } else {
    ask();
  }
})();
