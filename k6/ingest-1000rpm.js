// The design card's scenario: a constant arrival rate of 1000 requests a minute against POST /ingest/{id}
// with ~1 KiB order payloads, and thresholds on errors and latency. See k6/README.md.
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, SUMMARY_TREND_STATS, authHeaders, createSubscription, deleteSubscriptions, intEnv, ORDER_FILTERS,
  payloadPool } from './lib/common.js';

const RATE = intEnv('RATE', 1000);
// optional: this long at the same rate first, outside the thresholds, so a just-started JVM's compilation does not
// land in the p99 of a short run (30 s at 1000/min is only 500 requests: p99 is the 5th slowest)
const WARMUP = __ENV.WARMUP || '';

const ingestScenario = {
  executor: 'constant-arrival-rate',
  rate: RATE,
  timeUnit: __ENV.TIME_UNIT || '1m',
  duration: __ENV.DURATION || '60s',
  preAllocatedVUs: intEnv('VUS', 10),
  maxVUs: intEnv('MAX_VUS', 50),
};
const scenarios = { ingest: Object.assign({ exec: 'ingest', env: { TAG: 'ingest' } }, ingestScenario) };
if (WARMUP) {
  scenarios.warmup = Object.assign({}, ingestScenario, { exec: 'ingest', duration: WARMUP, env: { TAG: 'warmup' } });
  scenarios.ingest.startTime = WARMUP;
}

export const options = {
  scenarios,
  thresholds: {
    // scoped to the ingest requests: setup's subscription create is not part of the scenario
    'http_req_failed{endpoint:ingest}': ['rate<0.001'],
    'http_req_duration{endpoint:ingest}': ['p(95)<50', 'p(99)<100'],
    'checks{endpoint:ingest}': ['rate>0.999'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

const payloads = payloadPool(32);

export function setup() {
  const sub = createSubscription({ description: 'k6 ingest-1000rpm', events: ORDER_FILTERS });
  return { subscriptionId: sub.id };
}

export function ingest(data) {
  // warm-up requests are tagged apart, so the {endpoint:ingest} thresholds do not see them
  const endpoint = __ENV.TAG;
  const p = payloads[Math.floor(Math.random() * payloads.length)];
  const res = http.post(`${BASE_URL}/ingest/${data.subscriptionId}`, p.body, {
    headers: authHeaders({ 'X-Event-Type': p.type }),
    tags: { endpoint, name: 'POST /ingest/{id}' },
  });
  check(res, {
    'ingest answered 202': (r) => r.status === 202,
    'ingest returned a webhook_id': (r) => r.status === 202 && typeof r.json('webhook_id') === 'string',
  }, { endpoint });
}

export function teardown(data) {
  deleteSubscriptions([data.subscriptionId]);
}
