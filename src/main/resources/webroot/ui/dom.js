// What the dashboard (/ui) and the consumer portal (/portal) do alike: DOM built from text only (never innerHTML,
// so nothing an endpoint answered can run on the page), an API call's answer, the message line, and one webhook
// with its attempts. Plain JavaScript, no build step; each page loads it before its own script.
var hookrelayDom = (function () {
  'use strict';

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') {
        node.textContent = attrs[k];
      } else if (k === 'onclick') {
        node.addEventListener('click', attrs[k]);
      } else {
        node.setAttribute(k, attrs[k]);
      }
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child != null) {
        node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
      }
    }
    return node;
  }

  /**
   * Sends one API call (init carries the credential) and answers its JSON, null for a 204; a 401 calls refused()
   * and fails with 'unauthorized'; any other error fails with the answer's detail and its status.
   */
  function request(path, init, body, refused) {
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      if (r.status === 401) {
        refused();
        throw new Error('unauthorized');
      }
      if (r.status === 204) {
        return null;
      }
      return r.json().then(function (data) {
        if (!r.ok) {
          var e = new Error(data && data.detail ? data.detail : 'HTTP ' + r.status);
          e.status = r.status;
          throw e;
        }
        return data;
      });
    });
  }

  /** Shows a sentence in #message for a few seconds: an error, or a confirmation when ok. */
  function say(text, ok) {
    var m = $('message');
    m.textContent = text;
    m.className = ok ? 'message ok' : 'message';
    m.hidden = !text;
    if (text) {
      clearTimeout(say.timer);
      say.timer = setTimeout(function () { m.hidden = true; }, 6000);
    }
  }

  /** A table cell with the start of a response body (the whole of it in the tooltip). */
  function excerpt(text) {
    text = text || '';
    return el('td', { class: 'excerpt', title: text, text: text.length > 160 ? text.slice(0, 160) + '…' : text });
  }

  function outcome(a) {
    return el('td', {}, el('span', { class: 'badge ' + a.outcome.split(' ')[0], text: a.outcome }));
  }

  function code(a) {
    return el('td', { class: 'code', text: a.status_code == null ? '–' : String(a.status_code) });
  }

  /** Fills the #delivery panel (the delivery-* fields and #attempts-body) with a GET /status/{id} answer. */
  function showWebhook(w, when) {
    $('delivery').hidden = false;
    $('delivery-status').textContent = w.status;
    $('delivery-status').className = 'badge ' + w.status;
    $('delivery-outcome').textContent = w.final_outcome ? '(' + w.final_outcome + ')' : '';
    $('delivery-id').textContent = w.webhook_id;
    $('delivery-sub').textContent = w.subscription_id;
    $('delivery-type').textContent = w.event_type || '–';
    $('delivery-attempts').textContent = String(w.total_attempts);
    $('delivery-next').textContent = w.next_retry_at ? when(w.next_retry_at) : '–';
    $('retry').disabled = w.status === 'delivering';
    var body = $('attempts-body');
    body.textContent = '';
    if (w.recent_attempts.length === 0) {
      body.appendChild(el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'No attempt yet.' })));
    }
    w.recent_attempts.forEach(function (a) {
      body.appendChild(el('tr', { class: 'attempt' },
        el('td', { text: String(a.attempt_number) }),
        el('td', { text: when(a.timestamp) }),
        outcome(a),
        code(a),
        el('td', { text: String(a.duration_ms) }),
        el('td', { text: a.error || '' }),
        excerpt(a.response_body)));
    });
  }

  return { $: $, el: el, request: request, say: say, excerpt: excerpt, outcome: outcome, code: code, showWebhook: showWebhook };
})();
