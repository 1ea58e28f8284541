// Ingest at a constant rate and measure delivery lag: from the 202 to the webhook's first arrival at the sink
// (or, with LAG_SOURCE=status, to the end of its first successful attempt per GET /status). See k6/README.md.
import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import { BASE_URL, SINK_URL, SUMMARY_TREND_STATS, authHeaders, createSubscription, deleteSubscriptions, intEnv,
  numberEnv, ORDER_FILTERS, payloadPool } from './lib/common.js';

const LAG_SOURCE = __ENV.LAG_SOURCE || 'sink';
if (LAG_SOURCE !== 'sink' && LAG_SOURCE !== 'status') {
  fail(`LAG_SOURCE must be 'sink' or 'status', got '${LAG_SOURCE}'`);
}
const SAMPLE = numberEnv('SAMPLE', 1);
const POLL_MS = intEnv('POLL_MS', 20);
const LAG_TIMEOUT_MS = intEnv('LAG_TIMEOUT_S', 30) * 1000;
const LAG_P99_MS = numberEnv('LAG_P99_MS', 100);

export const options = {
  scenarios: {
    ingest: {
      executor: 'constant-arrival-rate',
      rate: intEnv('RATE', 1000),
      timeUnit: __ENV.TIME_UNIT || '1m',
      duration: __ENV.DURATION || '60s',
      // a sampled iteration waits for its delivery, so VUs are held longer than one request
      preAllocatedVUs: intEnv('VUS', 20),
      maxVUs: intEnv('MAX_VUS', 200),
      // room for the last webhooks' deliveries to be waited for
      gracefulStop: `${Math.ceil(LAG_TIMEOUT_MS / 1000) + 5}s`,
    },
  },
  thresholds: {
    'http_req_failed{endpoint:ingest}': ['rate<0.001'],
    'http_req_duration{endpoint:ingest}': ['p(95)<50', 'p(99)<100'],
    'checks{endpoint:ingest}': ['rate>0.999'],
    delivery_lag_ms: [`p(99)<${LAG_P99_MS}`],
    delivery_timeouts: ['rate<0.001'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

// 202 → delivered, in ms, for each sampled webhook
const deliveryLag = new Trend('delivery_lag_ms', true);
// sampled webhooks not delivered within LAG_TIMEOUT_S
const deliveryTimeouts = new Rate('delivery_timeouts');

const payloads = payloadPool(32);

export function setup() {
  const sub = createSubscription({ description: 'k6 end-to-end', events: ORDER_FILTERS });
  return { subscriptionId: sub.id };
}

export default function (data) {
  const p = payloads[Math.floor(Math.random() * payloads.length)];
  const res = http.post(`${BASE_URL}/ingest/${data.subscriptionId}`, p.body, {
    headers: authHeaders({ 'X-Event-Type': p.type }),
    tags: { endpoint: 'ingest', name: 'POST /ingest/{id}' },
  });
  const acceptedAt = Date.now();
  const ok = check(res, { 'ingest answered 202': (r) => r.status === 202 }, { endpoint: 'ingest' });
  if (!ok || Math.random() >= SAMPLE) {
    return;
  }
  const webhookId = res.json('webhook_id');
  const deliveredAt = LAG_SOURCE === 'sink' ? awaitSink(webhookId, acceptedAt) : awaitStatus(webhookId, acceptedAt);
  deliveryTimeouts.add(deliveredAt === null);
  if (deliveredAt !== null) {
    deliveryLag.add(deliveredAt - acceptedAt);
  }
}

export function teardown(data) {
  deleteSubscriptions([data.subscriptionId]);
}

/** When the sink first saw the webhook (its own clock, same host), or null after the timeout. */
function awaitSink(webhookId, since) {
  while (Date.now() - since < LAG_TIMEOUT_MS) {
    const r = http.get(`${SINK_URL}/received/${webhookId}`, { tags: { endpoint: 'sink', name: 'GET /received/{id}' },
      responseCallback: http.expectedStatuses(200, 404) });
    if (r.status === 200) {
      return r.json('first_received_at_ms');
    }
    sleep(POLL_MS / 1000);
  }
  return null;
}

/** When the first successful attempt ended, per GET /status, or null after the timeout. */
function awaitStatus(webhookId, since) {
  while (Date.now() - since < LAG_TIMEOUT_MS) {
    const r = http.get(`${BASE_URL}/status/${webhookId}`, { headers: authHeaders(),
      tags: { endpoint: 'status', name: 'GET /status/{id}' } });
    if (r.status === 200 && r.json('status') === 'succeeded') {
      const success = (r.json('recent_attempts') || []).find((a) => a.outcome === 'Success');
      if (success) {
        // ISO times carry microseconds; JavaScript dates read milliseconds
        return Date.parse(success.timestamp.replace(/(\.\d{3})\d+/, '$1')) + (success.duration_ms || 0);
      }
    }
    sleep(POLL_MS / 1000);
  }
  return null;
}
