// The consumer portal: one tenant's own endpoints and deliveries, plain JavaScript, no build step (like /ui).
// The link's single-use token arrives in the URL fragment (#token=hrp_…), is taken out of the address bar at once
// and spent at POST /portal/session (in the body, never in a URL) for a session token scoped to the tenant. That
// session token is kept for this tab only (sessionStorage) and sent as a Bearer token to the tenant's routes.
// Everything the API answers is put on the page as text (textContent), never as HTML.
(function () {
  'use strict';

  var STORE = 'hookrelay.portal';
  var COLOR = /^#[0-9a-fA-F]{6}$/;
  var session = null; // {token, tenant, expires_at}
  var editing = null;
  var shownWebhook = null;
  var shownEndpoint = null;
  var subscriptions = [];

  // --- small helpers (/ui/dom.js: shared with the dashboard) ---

  var $ = hookrelayDom.$;
  var el = hookrelayDom.el;
  var say = hookrelayDom.say;

  function when(iso) {
    return iso ? new Date(iso).toLocaleString('en-GB') : '–';
  }

  function fail(err) {
    if (err.message !== 'unauthorized') {
      say(err.message);
    }
  }

  // Storage may be refused (a sandboxed or third-party frame): the session then lives in memory only.
  function store(value) {
    try {
      if (value) {
        sessionStorage.setItem(STORE, JSON.stringify(value));
      } else {
        sessionStorage.removeItem(STORE);
      }
    } catch (e) { /* memory only */ }
  }

  function stored() {
    try {
      var s = JSON.parse(sessionStorage.getItem(STORE) || 'null');
      return s && s.token && Date.parse(s.expires_at) > Date.now() ? s : null;
    } catch (e) {
      return null;
    }
  }

  function scoped(path) {
    return '/tenants/' + encodeURIComponent(session.tenant.id) + path;
  }

  function api(method, path, body, headers) {
    var init = { method: method, headers: { Authorization: 'Bearer ' + session.token } };
    Object.keys(headers || {}).forEach(function (k) { init.headers[k] = headers[k]; });
    return hookrelayDom.request(path, init, body, function () {
      end('Your session has ended', 'Open the webhooks page again from ' + brandName() + ' to get a new link.');
    });
  }

  // --- branding: the platform's name and colour, from the link's query or the tenant's metadata ---

  function cleanName(value) {
    if (typeof value !== 'string') {
      return '';
    }
    return value.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 80);
  }

  function cleanColor(value) {
    return typeof value === 'string' && COLOR.test(value) ? value : '';
  }

  // Who to ask for a new link: the platform, when its name is known, else a description of it.
  var platform = 'the site that sent you here';

  function brandName() {
    return platform;
  }

  function brand(tenant) {
    var query = new URLSearchParams(location.search);
    var meta = tenant && tenant.metadata && typeof tenant.metadata === 'object' ? tenant.metadata : {};
    var given = cleanName(query.get('name')) || cleanName(meta.portal_name);
    var name = given || 'Webhooks';
    platform = given || platform;
    var color = cleanColor(query.get('color')) || cleanColor(meta.portal_color);
    $('brand-name').textContent = name;
    document.title = name + ' · webhooks';
    if (color) {
      var n = parseInt(color.slice(1), 16);
      var light = (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255 > 0.6;
      document.documentElement.style.setProperty('--brand', color);
      document.documentElement.style.setProperty('--brand-ink', light ? '#0f172a' : '#ffffff');
    }
    $('tenant-name').textContent = tenant ? (tenant.name || tenant.uid || '') : '';
  }

  // --- the link and the session ---

  function end(title, text) {
    session = null;
    store(null);
    $('app').hidden = true;
    $('sign-out').hidden = true;
    $('gate').hidden = false;
    $('gate').className = 'gate error';
    $('gate-title').textContent = title;
    $('gate-text').textContent = text;
  }

  function hashParams() {
    return new URLSearchParams(location.hash.slice(1));
  }

  // Takes the token out of the fragment (and so out of the address bar and the history) before anything else.
  function takeLinkToken() {
    var params = hashParams();
    var token = params.get('token');
    if (token !== null) {
      params.delete('token');
      var rest = params.toString();
      history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
    }
    return token;
  }

  function exchange(link) {
    return fetch('/portal/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: link })
    }).then(function (r) {
      if (r.status !== 201) {
        end('This link has expired', 'Portal links work once and for a limited time. Open the webhooks page again from '
          + brandName() + ' to get a new one.');
        return null;
      }
      return r.json().then(function (s) {
        return { token: s.session_token, tenant: s.tenant, expires_at: s.expires_at };
      });
    }, function () {
      end('The server did not answer', 'Try again in a moment.');
      return null;
    });
  }

  $('sign-out').addEventListener('click', function () {
    end('Signed out', 'Open the webhooks page again from ' + brandName() + ' to come back.');
  });

  // --- endpoints ---

  function eventsText(s) {
    return s.events && s.events.length ? s.events.join(', ') : 'all events';
  }

  function loadSubscriptions() {
    return api('GET', scoped('/subscriptions?limit=1000')).then(function (list) {
      subscriptions = list;
      var fingerprint = JSON.stringify(list);
      if (fingerprint === loadSubscriptions.last) {
        return;
      }
      loadSubscriptions.last = fingerprint;
      var body = $('subs-body');
      body.textContent = '';
      if (list.length === 0) {
        body.appendChild(el('tr', {}, el('td', { colspan: 4, class: 'muted', text: 'No endpoint yet: add one above.' })));
      }
      list.forEach(function (s) {
        var enabled = s.status === 'enabled';
        body.appendChild(el('tr', { 'data-id': s.id },
          el('td', {}, el('a', { href: '#endpoint=' + s.id, class: 'target', text: s.target_url }),
            s.description ? el('div', { class: 'muted', text: s.description }) : null),
          el('td', { text: eventsText(s) }),
          el('td', {}, el('span', { class: 'badge ' + s.status, text: s.status })),
          el('td', { class: 'actions' },
            el('button', { type: 'button', class: 'small act-test', text: 'Send test', onclick: function () { sendTest(s); } }),
            el('button', { type: 'button', class: 'small act-edit', text: 'Edit', onclick: function () { edit(s); } }),
            el('button', { type: 'button', class: 'small act-toggle' + (enabled ? ' danger' : ''),
              text: enabled ? 'Disable' : 'Enable', onclick: function () { toggle(s); } }),
            el('button', { type: 'button', class: 'small act-rotate', text: 'Rotate secret',
              onclick: function () { rotate(s); } }),
            el('button', { type: 'button', class: 'small act-delete danger', text: 'Delete',
              onclick: function () { remove(s); } }))));
      });
    }).catch(function (e) { if (e.message !== 'unauthorized') { say('Loading endpoints failed: ' + e.message); } });
  }

  function showSecret(id, secret) {
    $('secret-sub').textContent = id;
    $('secret-value').textContent = secret;
    $('secret-copy').textContent = 'Copy';
    $('secret-banner').hidden = false;
  }

  $('secret-dismiss').addEventListener('click', function () {
    $('secret-value').textContent = '';
    $('secret-banner').hidden = true;
  });

  // The Clipboard API may be refused inside a frame; selecting the text and copying it works there too.
  $('secret-copy').addEventListener('click', function () {
    var text = $('secret-value').textContent;
    function copied() { $('secret-copy').textContent = 'Copied'; }
    function fallback() {
      var range = document.createRange();
      range.selectNodeContents($('secret-value'));
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      if (document.execCommand('copy')) {
        copied();
      } else {
        $('secret-copy').textContent = 'Press Ctrl+C';
      }
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(copied, fallback);
    } else {
      fallback();
    }
  });

  function formBody() {
    var events = $('sub-events').value.split(',').map(function (x) { return x.trim(); }).filter(Boolean);
    return { target_url: $('sub-url').value.trim(), events: events.length ? events : null,
      description: $('sub-description').value.trim() || null };
  }

  function resetForm() {
    editing = null;
    $('sub-form').reset();
    $('sub-save').textContent = 'Add endpoint';
    $('sub-cancel').hidden = true;
  }

  function edit(s) {
    editing = s.id;
    $('sub-url').value = s.target_url;
    $('sub-events').value = s.events ? s.events.join(', ') : '';
    $('sub-description').value = s.description || '';
    $('sub-save').textContent = 'Save';
    $('sub-cancel').hidden = false;
    $('sub-url').focus();
  }

  $('sub-cancel').addEventListener('click', resetForm);

  function changed() {
    loadSubscriptions.last = null;
    return loadSubscriptions().then(function () {
      if (shownEndpoint) {
        showEndpoint(shownEndpoint);
      }
    });
  }

  $('sub-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var creating = !editing;
    var request = creating ? api('POST', scoped('/subscriptions'), formBody())
      : api('PATCH', scoped('/subscriptions/' + editing), formBody());
    request.then(function (s) {
      if (creating) {
        showSecret(s.id, s.secret || s.public_key);
        say('Endpoint added.', true);
      } else {
        say('Endpoint saved.', true);
      }
      resetForm();
      return changed();
    }).catch(fail);
  });

  function toggle(s) {
    var disabling = s.status === 'enabled';
    var request = disabling
      ? api('PATCH', scoped('/subscriptions/' + s.id), { status: 'disabled' })
      : api('POST', scoped('/subscriptions/' + s.id + '/enable'));
    request.then(function (r) {
      say(disabling
        ? 'Endpoint disabled: new webhooks for it are held until it is enabled again.'
        : 'Endpoint enabled; ' + r.resumed_deliveries + ' held webhooks resume.', true);
      return changed();
    }).catch(fail);
  }

  function remove(s) {
    if (!window.confirm('Delete the endpoint ' + s.target_url + '?\n\nIts deliveries and their attempts are deleted '
        + 'with it. This cannot be undone.')) {
      return;
    }
    api('DELETE', scoped('/subscriptions/' + s.id)).then(function () {
      if (editing === s.id) {
        resetForm();
      }
      if (shownEndpoint === s.id) {
        location.hash = '';
      }
      say('Endpoint deleted.', true);
      return changed();
    }).catch(fail);
  }

  function rotate(s) {
    api('POST', scoped('/subscriptions/' + s.id + '/rotate-secret')).then(function (r) {
      showSecret(s.id, r.secret || r.public_key); // an ed25519 (v1a) endpoint answers its new public key
      say('Secret rotated; the previous one keeps signing until ' + when(r.previous_secret_expires_at) + '.', true);
    }).catch(fail);
  }

  // The platform's event types that carry an example (GET /event-types): a test sends one of them when it can.
  var examples = [];
  var catalogued = [];
  var received = [];

  function loadExamples() {
    return api('GET', '/event-types?limit=1000').then(function (types) {
      showCatalogue(types);
      types = types.filter(function (t) { return !t.deprecated; });
      examples = types.filter(function (t) { return t.example != null; });
      catalogued = types.map(function (t) { return t.name; });
      suggest();
    }).catch(function () { /* without a catalogue, tests send a sample payload */ });
  }

  // The catalogue as the customer reads it: name, what it means, whether a schema checks it, deprecation.
  function showCatalogue(types) {
    var body = $('catalogue-body');
    body.textContent = '';
    $('catalogue-none').hidden = types.length > 0;
    types.forEach(function (t) {
      body.appendChild(el('tr', { class: 'event-type' },
        el('td', {}, el('code', { text: t.name })),
        el('td', { text: t.description || '' }),
        el('td', { class: 'muted', text: (t.schema ? 'schema-checked' : '') + (t.deprecated ? ' deprecated' : '') })));
    });
  }

  // An endpoint's own delivery policy, or the platform's defaults where it sets none.
  function policyText(s) {
    var parts = [];
    parts.push(s.retry_schedule ? 'retries after ' + s.retry_schedule.join(', ') : 'the platform\'s retry schedule');
    parts.push(s.max_attempts ? 'at most ' + s.max_attempts + ' attempts' : 'the platform\'s attempt limit');
    parts.push(s.timeout ? 'timeout ' + s.timeout : 'the platform\'s timeout');
    if (s.ordering === 'per_key') {
      parts.push('in order per key (' + (s.ordering_on_failure === 'block' ? 'a failed webhook holds its key' : 'failed webhooks are skipped') + ')');
    }
    return parts.join('; ');
  }

  function headersText(s) {
    var names = Object.keys(s.headers || {});
    return names.length === 0 ? '–' : names.map(function (n) { return n + ': ' + s.headers[n]; }).join(', ');
  }

  // The events field suggests the catalogue's types and the ones received.
  function suggest() {
    var known = $('known-types');
    known.textContent = '';
    catalogued.concat(received).filter(function (t, i, all) { return all.indexOf(t) === i; }).sort()
      .forEach(function (t) { known.appendChild(el('option', { value: t })); });
  }

  // The server's EventFilter rule: no filter takes all; an entry is a name, or a prefix ending in '*'.
  function takes(filter, type) {
    return !filter || filter.some(function (f) {
      return f.slice(-1) === '*' ? type.indexOf(f.slice(0, -1)) === 0 : f === type;
    });
  }

  // Without a catalogued example: the filter's first exact name, else a name under its first prefix.
  function testType(s) {
    var filter = s.events || [];
    var exact = filter.filter(function (f) { return f.slice(-1) !== '*'; });
    if (exact.length) {
      return exact[0];
    }
    if (filter.length && filter[0] !== '*') {
      return filter[0].slice(0, -1) + 'test';
    }
    return 'portal.test';
  }

  // Sends the example of the first catalogued type the endpoint takes (send-example), else a small sample payload.
  function sendTest(s) {
    var example = examples.filter(function (t) { return takes(s.events, t.name); })[0];
    var type = example ? example.name : testType(s);
    var request = example
      ? api('POST', scoped('/subscriptions/' + encodeURIComponent(s.id) + '/send-example?event_type='
          + encodeURIComponent(type)))
      : api('POST', '/ingest/' + encodeURIComponent(s.id), { test: true,
          message: 'A test event sent from the webhooks portal', sent_at: new Date().toISOString() },
        { 'X-Event-Type': type });
    request.then(function (r) {
      say((example ? 'Example of ' : 'Test event ') + type + ' sent'
        + (r.status === 'held' ? ': held while the endpoint is disabled.' : '.'), true);
      location.hash = 'webhook=' + r.webhook_id;
      follow(r.webhook_id, 0);
      loadRecent();
    }).catch(fail);
  }

  // --- one endpoint, opened by #endpoint=<id>: its facts, attempts and recovery ---

  function showEndpoint(id) {
    shownEndpoint = id;
    return Promise.all([api('GET', scoped('/subscriptions/' + encodeURIComponent(id))),
      api('GET', scoped('/subscriptions/' + encodeURIComponent(id) + '/attempts?limit=20'))]).then(function (both) {
      if (shownEndpoint !== id) {
        return;
      }
      var s = both[0];
      $('endpoint').hidden = false;
      $('endpoint-id').textContent = s.id;
      $('endpoint-url').textContent = s.target_url;
      $('endpoint-events').textContent = eventsText(s);
      $('endpoint-status').textContent = s.status;
      $('endpoint-status').className = 'badge ' + s.status;
      $('endpoint-reason').textContent = s.disabled_reason || '';
      $('endpoint-description').textContent = s.description || '–';
      $('endpoint-policy').textContent = policyText(s);
      $('endpoint-headers').textContent = headersText(s); // values come masked from the API
      var body = $('endpoint-attempts');
      body.textContent = '';
      if (both[1].length === 0) {
        body.appendChild(el('tr', {}, el('td', { colspan: 6, class: 'muted', text: 'No attempt yet.' })));
      }
      both[1].forEach(function (a) {
        body.appendChild(el('tr', { class: 'attempt' },
          el('td', { text: when(a.timestamp) }),
          el('td', {}, el('a', { href: '#webhook=' + a.webhook_id }, el('code', { title: a.webhook_id, text: '…' + a.webhook_id.slice(-12) }))),
          hookrelayDom.outcome(a),
          hookrelayDom.code(a),
          el('td', { text: String(a.duration_ms) }),
          hookrelayDom.excerpt(a.response_body || a.error)));
      });
    }).catch(function (err) {
      if (err.message !== 'unauthorized' && shownEndpoint === id) {
        $('endpoint').hidden = true;
        say(err.status === 404 || err.status === 400 ? 'No endpoint with id ' + id + ' was found.' : err.message);
      }
    });
  }

  $('recover-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var since = new Date($('recover-since').value);
    if (!shownEndpoint || isNaN(since)) {
      return;
    }
    api('POST', scoped('/subscriptions/' + encodeURIComponent(shownEndpoint) + '/recover?since='
        + encodeURIComponent(since.toISOString()))).then(function (r) {
      say(r.recovered + ' failed webhook' + (r.recovered === 1 ? '' : 's') + ' since ' + when(since.toISOString())
        + ' will be sent again.', true);
      loadRecent();
    }).catch(fail);
  });

  // --- one webhook, found by id or opened by #webhook=<id>: status, attempts, retry ---

  function showWebhook(id) {
    return api('GET', '/status/' + encodeURIComponent(id)).then(function (w) {
      shownWebhook = w;
      hookrelayDom.showWebhook(w, when);
      $('search-id').value = w.webhook_id;
      $('delivery-sub').setAttribute('href', '#endpoint=' + w.subscription_id);
      return w;
    }).catch(function (err) {
      if (err.message !== 'unauthorized') {
        shownWebhook = null;
        $('delivery').hidden = true;
        say(err.status === 404 || err.status === 400 ? 'No webhook with id ' + id + ' was found.' : err.message);
      }
    });
  }

  // Shows the webhook again until it has more than {@code attempts} attempts and none under way, or 20 s pass.
  function follow(id, attempts) {
    var deadline = Date.now() + 20000;
    (function poll() {
      showWebhook(id).then(function (w) {
        var settled = w && w.total_attempts > attempts && w.status !== 'pending' && w.status !== 'delivering';
        if (w && !settled && Date.now() < deadline) {
          setTimeout(poll, 500);
        } else {
          loadRecent();
          if (shownEndpoint) {
            showEndpoint(shownEndpoint);
          }
        }
      });
    })();
  }

  $('search-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var id = $('search-id').value.trim();
    if (location.hash === '#webhook=' + id) {
      showWebhook(id);
    } else {
      location.hash = 'webhook=' + id;
    }
  });

  $('retry').addEventListener('click', function () {
    if (!shownWebhook) {
      return;
    }
    var w = shownWebhook;
    api('POST', '/status/' + encodeURIComponent(w.webhook_id) + '/retry').then(function () {
      say('Retry queued.', true);
      follow(w.webhook_id, w.total_attempts);
    }).catch(fail);
  });

  // --- recent deliveries and the event types they carry ---

  function loadRecent() {
    var status = $('recent-status').value;
    return api('GET', scoped('/deliveries?limit=50' + (status ? '&status=' + status : ''))).then(function (page) {
      var fingerprint = status + JSON.stringify(page.data);
      if (fingerprint === loadRecent.last) {
        return;
      }
      loadRecent.last = fingerprint;
      loadTypes(); // new deliveries may carry a new type
      var body = $('recent-body');
      body.textContent = '';
      if (page.data.length === 0) {
        body.appendChild(el('tr', {}, el('td', { colspan: 6, class: 'muted', text: 'No deliveries yet.' })));
      }
      page.data.forEach(function (d) {
        body.appendChild(el('tr', { class: 'clickable', 'data-id': d.webhook_id, title: 'Show attempts',
            onclick: function () { location.hash = 'webhook=' + d.webhook_id; } },
          el('td', { text: when(d.created_at) }),
          el('td', {}, el('code', { title: d.webhook_id, text: '…' + d.webhook_id.slice(-12) })),
          el('td', { text: d.event_type || '–' }),
          el('td', {}, el('span', { class: 'badge ' + d.status, text: d.status })),
          el('td', { text: String(d.total_attempts) }),
          el('td', { text: d.last_status_code == null ? '–' : String(d.last_status_code) })));
      });
    }).catch(function (err) { if (err.message !== 'unauthorized') { say('Loading deliveries failed: ' + err.message); } });
  }

  // The types among the tenant's latest 500 deliveries, most frequent first.
  function loadTypes() {
    return api('GET', scoped('/deliveries?limit=500')).then(function (page) {
      var counts = {};
      page.data.forEach(function (d) {
        if (d.event_type) {
          counts[d.event_type] = (counts[d.event_type] || 0) + 1;
        }
      });
      var types = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
      var list = $('types');
      list.textContent = '';
      types.forEach(function (t) {
        list.appendChild(el('li', { 'data-type': t }, el('code', { text: t }), el('span', { class: 'muted', text: ' ' + counts[t] })));
      });
      $('types-none').hidden = types.length > 0;
      received = types;
      suggest();
    }).catch(function () { /* the list of types is a convenience */ });
  }

  $('recent-status').addEventListener('change', loadRecent);
  $('recent-refresh').addEventListener('click', loadRecent);

  // --- the fragment: #endpoint=<id> or #webhook=<id> ---

  function route() {
    var params = hashParams();
    var endpoint = params.get('endpoint');
    var webhook = params.get('webhook');
    if (endpoint) {
      showEndpoint(endpoint);
    } else {
      shownEndpoint = null;
      $('endpoint').hidden = true;
    }
    if (webhook) {
      showWebhook(webhook);
    }
  }

  // A new link opened in the same tab changes only the fragment: it replaces the session, as on a fresh load.
  window.addEventListener('hashchange', function () {
    var link = takeLinkToken();
    if (link) {
      exchange(link).then(function (s) { if (s) { open(s); } });
    } else if (session) {
      route();
    }
  });

  // --- start ---

  var refresher = null;

  function open(s) {
    session = s;
    store(s);
    brand(s.tenant);
    $('gate').hidden = true;
    $('app').hidden = false;
    $('sign-out').hidden = false;
    // A second link in the same tab may be another tenant's: nothing of the previous session stays on the page.
    loadSubscriptions.last = loadRecent.last = null;
    shownWebhook = null;
    $('delivery').hidden = true;
    resetForm();
    var since = new Date(Date.now() - 24 * 3600 * 1000 - new Date().getTimezoneOffset() * 60000);
    $('recover-since').value = since.toISOString().slice(0, 16);
    loadSubscriptions();
    loadRecent();
    loadExamples();
    route();
    if (!refresher) {
      refresher = setInterval(function () {
        if (session && !document.hidden) {
          loadSubscriptions();
          loadRecent();
        }
      }, 5000);
    }
  }

  brand(null);
  var link = takeLinkToken();
  if (link) {
    exchange(link).then(function (s) { if (s) { open(s); } });
  } else if (stored()) {
    open(stored());
  } else {
    end('This page needs a link', 'Open the webhooks page from ' + brandName() + ': it gives you a link to this portal.');
  }
})();
