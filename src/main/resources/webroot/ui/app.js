// The hookrelay dashboard: plain JavaScript, no build step. The API key is asked for once and kept in the tab's
// sessionStorage; every call sends it as a Bearer token. Live numbers come from /stats/stream (server-sent events),
// read with fetch() so that the key travels in the Authorization header rather than in a URL.
(function () {
  'use strict';

  var STORE = 'hookrelay.apiKey';
  var POINTS = 120;
  var key = sessionStorage.getItem(STORE);
  var streamAbort = null;
  var editing = null;
  var shownWebhook = null;

  // --- small helpers (dom.js: shared with the portal) ---

  var $ = hookrelayDom.$;
  var el = hookrelayDom.el;
  var say = hookrelayDom.say;

  function fmt(n) {
    return n == null ? '–' : Number(n).toLocaleString('en');
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleTimeString('en-GB') : '–';
  }

  function api(method, path, body) {
    // The actor header makes the audit log and disabled_reason say "the dashboard" rather than "the API".
    var init = { method: method, headers: { Authorization: 'Bearer ' + key, 'X-Hookrelay-Actor': 'dashboard' } };
    return hookrelayDom.request(path, init, body, function () { signOut('That key was refused.'); });
  }

  // --- the key ---

  function ask(message) {
    $('app').hidden = true;
    $('key-form').hidden = false;
    $('key-error').textContent = message || '';
    $('key-input').focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(STORE);
    key = null;
    if (streamAbort) {
      streamAbort.abort();
    }
    ask(message);
  }

  $('key-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var candidate = $('key-input').value.trim();
    fetch('/stats', { headers: { Authorization: 'Bearer ' + candidate } }).then(function (r) {
      if (r.status === 401) {
        $('key-error').textContent = 'That key was refused.';
        return;
      }
      key = candidate;
      sessionStorage.setItem(STORE, key);
      start();
    }, function () {
      $('key-error').textContent = 'The server did not answer.';
    });
  });

  $('sign-out').addEventListener('click', function () { signOut(); });

  // --- live charts ---

  var charts = {};
  var series = { t: [], ingest: [], delivered: [], failed: [], queue: [], retry: [], lag: [] };

  function chart(id, lines) {
    var box = $(id);
    var opts = {
      width: Math.max(200, box.clientWidth),
      height: 190,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.15)]; } } },
      axes: [{ stroke: '#64748b', grid: { stroke: '#eef2f7' } }, { stroke: '#64748b', grid: { stroke: '#eef2f7' }, size: 44 }],
      series: [{}].concat(lines.map(function (l) {
        return { label: l[0], stroke: l[1], width: 2, fill: l[2] || undefined, spanGaps: l[3] || false };
      }))
    };
    return new uPlot(opts, [[]].concat(lines.map(function () { return []; })), box);
  }

  function makeCharts() {
    if (charts.throughput) {
      return;
    }
    charts.throughput = chart('chart-throughput', [['ingested/s', '#2563eb', 'rgba(37,99,235,.08)'],
      ['delivered/s', '#16a34a'], ['failed attempts/s', '#dc2626']]);
    charts.queue = chart('chart-queue', [['stream', '#7c3aed', 'rgba(124,58,237,.08)'], ['retry set', '#d97706']]);
    charts.lag = chart('chart-lag', [['lag (s)', '#2563eb', 'rgba(37,99,235,.08)', true]]);
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (k) {
        var box = charts[k].root.parentNode;
        charts[k].setSize({ width: Math.max(200, box.clientWidth), height: 190 });
      });
    });
  }

  function push(name, value) {
    series[name].push(value);
    if (series[name].length > POINTS) {
      series[name].shift();
    }
  }

  function onSnapshot(s) {
    push('t', s.at / 1000);
    push('ingest', s.ingest_per_s);
    push('delivered', s.deliveries_per_s);
    push('failed', s.failed_attempts_per_s);
    push('queue', s.queue_depth);
    push('retry', s.retry_depth);
    push('lag', s.delivery_lag_s);
    charts.throughput.setData([series.t, series.ingest, series.delivered, series.failed]);
    charts.queue.setData([series.t, series.queue, series.retry]);
    charts.lag.setData([series.t, series.lag]);
    $('rate-ingest').textContent = s.ingest_per_s;
    $('rate-delivered').textContent = s.deliveries_per_s;
    $('rate-failed').textContent = s.failed_attempts_per_s;
    $('now-queue').textContent = fmt(s.queue_depth);
    $('now-retry').textContent = fmt(s.retry_depth);
    $('now-lag').textContent = s.delivery_lag_s == null ? '–' : s.delivery_lag_s + ' s';
    $('stat-ingested').textContent = fmt(s.totals.ingested);
    $('stat-delivered').textContent = fmt(s.totals.succeeded);
    $('stat-failed').textContent = fmt(s.totals.failed);
    $('stat-failed-attempts').textContent = fmt(s.totals.failed_attempts);
    $('stat-queue').textContent = fmt(s.queue_depth);
    $('stat-retry').textContent = fmt(s.retry_depth);
    $('stat-in-flight').textContent = fmt(s.in_flight);
    $('stat-disabled').textContent = fmt(s.subscriptions_disabled);
  }

  function live(on) {
    $('live').textContent = on ? 'live' : 'reconnecting…';
    $('live').className = on ? 'live on' : 'live';
  }

  // Server-sent events over fetch(): each "data:" line is one JSON snapshot; reconnects when the stream ends.
  function stream() {
    streamAbort = new AbortController();
    var signal = streamAbort.signal;
    fetch('/stats/stream', { headers: { Authorization: 'Bearer ' + key }, signal: signal }).then(function (r) {
      if (r.status === 401) {
        signOut('That key was refused.');
        return;
      }
      live(true);
      var reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      var buffer = '';
      function read() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            throw new Error('stream ended');
          }
          buffer += chunk.value;
          var end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            buffer.slice(0, end).split('\n').forEach(function (line) {
              if (line.indexOf('data: ') === 0) {
                onSnapshot(JSON.parse(line.slice(6)));
              }
            });
            buffer = buffer.slice(end + 2);
          }
          return read();
        });
      }
      return read();
    }).catch(function () {
      if (!signal.aborted && key) {
        live(false);
        setTimeout(stream, 2000);
      }
    });
  }

  // --- subscriptions ---

  // The tenant filter: every tenant from GET /tenants; a chosen one lists through /tenants/{id}/subscriptions.
  function loadTenants() {
    return api('GET', '/tenants?limit=1000').then(function (tenants) {
      var select = $('tenant-filter');
      var chosen = select.value;
      select.textContent = '';
      select.appendChild(el('option', { value: '', text: 'all tenants' }));
      tenants.forEach(function (t) {
        select.appendChild(el('option', { value: t.id, text: t.name + ' (' + t.uid + ')' }));
      });
      select.value = chosen;
    }).catch(function () { /* a tenant token cannot list tenants: the filter stays at its own */ });
  }

  function tenantPrefix() {
    var tenant = $('tenant-filter').value;
    return tenant ? '/tenants/' + encodeURIComponent(tenant) : '';
  }

  function subscriptionsPath() {
    return tenantPrefix() + '/subscriptions?limit=200';
  }

  function loadSubscriptions() {
    return api('GET', subscriptionsPath()).then(function (subs) {
      // Redraw only when something changed, so a periodic refresh never swaps a button under the pointer.
      var fingerprint = JSON.stringify(subs);
      if (fingerprint === loadSubscriptions.last) {
        return;
      }
      loadSubscriptions.last = fingerprint;
      var body = $('subs-body');
      body.textContent = '';
      if (subs.length === 0) {
        body.appendChild(el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'No subscriptions yet.' })));
      }
      subs.forEach(function (s) {
        var enabled = s.status === 'enabled';
        body.appendChild(el('tr', { 'data-id': s.id },
          el('td', {}, el('div', { text: s.target_url }), el('code', { class: 'muted', text: s.id }),
            s.description ? el('div', { class: 'muted', text: s.description }) : null,
            policyLine(s) ? el('div', { class: 'muted policy-line', text: policyLine(s) }) : null),
          el('td', { text: s.events ? s.events.join(', ') : 'all' }),
          el('td', {}, el('span', { class: 'badge ' + s.status, text: s.status }),
            s.disabled_reason ? el('div', { class: 'muted', text: s.disabled_reason }) : null),
          el('td', { text: String(s.consecutive_failures) }),
          el('td', { class: 'actions' },
            el('button', { type: 'button', class: 'small act-edit', text: 'Edit', onclick: function () { edit(s); } }),
            el('button', { type: 'button', class: 'small act-toggle' + (enabled ? ' danger' : ''),
              text: enabled ? 'Disable' : 'Enable', onclick: function () { toggle(s); } }),
            el('button', { type: 'button', class: 'small act-rotate', text: 'Rotate secret',
              onclick: function () { rotate(s); } }),
            el('button', { type: 'button', class: 'small act-delete danger', text: 'Delete',
              onclick: function () { remove(s); } }))));
      });
    }).catch(function (e) { if (e.message !== 'unauthorized') { say('Loading subscriptions failed: ' + e.message); } });
  }

  /** The subscription's own delivery policy in one line; header values come masked from the API. */
  function policyLine(s) {
    var parts = [];
    if (s.retry_schedule) { parts.push('retries ' + s.retry_schedule.join(', ')); }
    if (s.max_attempts) { parts.push(s.max_attempts + ' attempts'); }
    if (s.timeout) { parts.push('timeout ' + s.timeout); }
    var names = Object.keys(s.headers || {});
    if (names.length) {
      parts.push('headers ' + names.map(function (n) { return n + ': ' + s.headers[n]; }).join(', '));
    }
    return parts.join(' · ');
  }

  /** "Name: value" lines; on edit, "Name:" alone removes that header (null). */
  function headerLines(text, editing) {
    var out = {};
    var any = false;
    text.split('\n').forEach(function (line) {
      if (!line.trim()) { return; }
      var at = line.indexOf(':');
      var name = (at < 0 ? line : line.slice(0, at)).trim();
      var value = at < 0 ? '' : line.slice(at + 1).trim();
      out[name] = value === '' && editing ? null : value;
      any = true;
    });
    return any ? out : undefined;
  }

  function showSecret(id, secret) {
    $('secret-sub').textContent = id;
    $('secret-value').textContent = secret;
    $('secret-banner').hidden = false;
  }

  $('secret-dismiss').addEventListener('click', function () {
    $('secret-value').textContent = '';
    $('secret-banner').hidden = true;
  });

  function formBody() {
    var events = $('sub-events').value.split(',').map(function (x) { return x.trim(); }).filter(Boolean);
    var body = { target_url: $('sub-url').value.trim(), events: events, description: $('sub-description').value || null };
    var rate = $('sub-rate').value;
    body.rate_limit_per_s = rate ? Number(rate) : null;
    var retry = $('sub-retry').value.split(',').map(function (x) { return x.trim(); }).filter(Boolean);
    body.retry_schedule = retry.length ? retry : null;
    var attempts = $('sub-attempts').value;
    body.max_attempts = attempts ? Number(attempts) : null;
    body.timeout = $('sub-timeout').value.trim() || null;
    var headers = headerLines($('sub-headers').value, !!editing);
    if (headers) { body.headers = headers; }
    return body;
  }

  function resetForm() {
    editing = null;
    $('sub-form').reset();
    $('sub-headers').placeholder = $('sub-headers').getAttribute('data-placeholder') || $('sub-headers').placeholder;
    $('sub-save').textContent = 'Create';
    $('sub-cancel').hidden = true;
  }

  function edit(s) {
    editing = s.id;
    $('sub-url').value = s.target_url;
    $('sub-events').value = s.events ? s.events.join(', ') : '';
    $('sub-description').value = s.description || '';
    $('sub-rate').value = s.rate_limit_per_s || '';
    $('sub-retry').value = s.retry_schedule ? s.retry_schedule.join(', ') : '';
    $('sub-attempts').value = s.max_attempts || '';
    $('sub-timeout').value = s.timeout || '';
    // Values are never shown whole: the box starts empty and only names written in it change.
    $('sub-headers').value = '';
    if (!$('sub-headers').getAttribute('data-placeholder')) {
      $('sub-headers').setAttribute('data-placeholder', $('sub-headers').placeholder);
    }
    var names = Object.keys(s.headers || {});
    $('sub-headers').placeholder = names.length ? 'set now: ' + names.join(', ') + ' — write "Name: value" to add or replace, "Name:" to remove'
      : 'headers, one \'Name: value\' a line';
    $('sub-save').textContent = 'Save';
    $('sub-cancel').hidden = false;
    $('sub-url').focus();
  }

  $('sub-cancel').addEventListener('click', resetForm);

  $('sub-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var request = editing ? api('PATCH', '/subscriptions/' + editing, formBody()) : api('POST', tenantPrefix() + '/subscriptions', formBody());
    var creating = !editing;
    request.then(function (s) {
      if (creating) {
        showSecret(s.id, s.secret);
        say('Subscription created.', true);
      } else {
        say('Subscription saved.', true);
      }
      resetForm();
      return loadSubscriptions();
    }).catch(function (err) { if (err.message !== 'unauthorized') { say(err.message); } });
  });

  function toggle(s) {
    var disabling = s.status === 'enabled';
    var request = disabling
      ? api('PATCH', '/subscriptions/' + s.id, { status: 'disabled' })
      : api('POST', '/subscriptions/' + s.id + '/enable');
    request.then(function (r) {
      say(disabling
        ? 'Subscription disabled: its new deliveries are held until it is enabled again.'
        : 'Subscription enabled; ' + r.resumed_deliveries + ' held deliveries resume.', true);
      return loadSubscriptions();
    }).catch(function (err) { if (err.message !== 'unauthorized') { say(err.message); } });
  }

  function remove(s) {
    if (!window.confirm('Delete the subscription to ' + s.target_url + '?\n\nIts deliveries and their attempts '
        + 'are deleted with it. This cannot be undone.')) {
      return;
    }
    api('DELETE', '/subscriptions/' + s.id).then(function () {
      if (editing === s.id) {
        resetForm();
      }
      say('Subscription deleted.', true);
      return loadSubscriptions();
    }).catch(function (err) { if (err.message !== 'unauthorized') { say(err.message); } });
  }

  function rotate(s) {
    api('POST', '/subscriptions/' + s.id + '/rotate-secret').then(function (r) {
      showSecret(s.id, r.secret || r.public_key); // a v1a subscription answers its new public key, never a secret
      say('Secret rotated; the previous one keeps signing until ' + new Date(r.previous_secret_expires_at).toLocaleString('en-GB') + '.', true);
    }).catch(function (err) { if (err.message !== 'unauthorized') { say(err.message); } });
  }

  // --- one webhook: status, attempts, retry ---

  function showWebhook(id) {
    return api('GET', '/status/' + encodeURIComponent(id)).then(function (w) {
      shownWebhook = w;
      hookrelayDom.showWebhook(w, when);
      return w;
    }).catch(function (err) {
      if (err.message !== 'unauthorized') {
        $('delivery').hidden = true;
        say(err.status === 404 ? 'No webhook with id ' + id + '.' : err.message);
      }
    });
  }

  $('search-form').addEventListener('submit', function (e) {
    e.preventDefault();
    showWebhook($('search-id').value.trim());
  });

  $('retry').addEventListener('click', function () {
    if (!shownWebhook) {
      return;
    }
    var id = shownWebhook.webhook_id;
    var before = shownWebhook.total_attempts;
    api('POST', '/status/' + id + '/retry').then(function () {
      say('Retry queued.', true);
      var deadline = Date.now() + 20000;
      (function poll() {
        showWebhook(id).then(function (w) {
          if (w && w.total_attempts <= before && Date.now() < deadline) {
            setTimeout(poll, 500);
          }
        });
      })();
    }).catch(function (err) { if (err.message !== 'unauthorized') { say(err.message); } });
  });

  // --- recent deliveries ---

  function loadRecent() {
    var status = $('recent-status').value;
    return api('GET', '/deliveries?limit=20' + (status ? '&status=' + status : '')).then(function (page) {
      var fingerprint = status + JSON.stringify(page.data);
      if (fingerprint === loadRecent.last) {
        return;
      }
      loadRecent.last = fingerprint;
      var body = $('recent-body');
      body.textContent = '';
      if (page.data.length === 0) {
        body.appendChild(el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'No deliveries yet.' })));
      }
      page.data.forEach(function (d) {
        body.appendChild(el('tr', { class: 'clickable', 'data-id': d.webhook_id, title: 'Show attempts',
            onclick: function () { $('search-id').value = d.webhook_id; showWebhook(d.webhook_id); } },
          el('td', { text: when(d.created_at) }),
          el('td', {}, el('code', { text: d.webhook_id })),
          el('td', { text: d.event_type || '–' }),
          el('td', {}, el('span', { class: 'badge ' + d.status, text: d.status })),
          el('td', { text: String(d.total_attempts) }),
          el('td', { text: d.last_status_code == null ? '–' : String(d.last_status_code) }),
          el('td', { text: d.last_error || '' })));
      });
    }).catch(function (err) { if (err.message !== 'unauthorized') { say('Loading deliveries failed: ' + err.message); } });
  }

  $('recent-status').addEventListener('change', loadRecent);
  $('recent-refresh').addEventListener('click', loadRecent);
  $('tenant-filter').addEventListener('change', function () {
    loadSubscriptions.last = null;
    loadSubscriptions();
    $('open-portal').disabled = !$('tenant-filter').value;
  });
  // A fresh portal link for the chosen tenant, opened in a new tab: what its customer would see.
  $('open-portal').addEventListener('click', function () {
    var tenant = $('tenant-filter').value;
    if (!tenant) { return; }
    var tab = window.open('about:blank', '_blank');
    api('POST', '/tenants/' + encodeURIComponent(tenant) + '/portal-link', {}).then(function (link) {
      if (tab) { tab.location = link.url; } else { window.location.assign(link.url); }
    }).catch(function (err) {
      if (tab) { tab.close(); }
      say('Opening the portal failed: ' + err.message);
    });
  });

  // --- start ---

  var refresher = null;

  function start() {
    $('key-form').hidden = true;
    $('app').hidden = false;
    makeCharts();
    stream();
    loadTenants();
    loadSubscriptions();
    loadRecent();
    if (!refresher) {
      refresher = setInterval(function () {
        if (key && !document.hidden) {
          loadRecent();
          loadSubscriptions();
        }
      }, 3000);
    }
  }

  if (key) {
    start();
  } else {
    ask();
  }
})();
