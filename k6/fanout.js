// POST /events fanned out to N subscriptions with different filters; checks that each event reaches exactly the
// subscriptions whose filter matches it. See k6/README.md.
import http from 'k6/http';
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { BASE_URL, SUMMARY_TREND_STATS, authHeaders, createSubscription, deleteSubscriptions, intEnv,
  orderPayload } from './lib/common.js';

const SUBSCRIPTIONS = intEnv('SUBSCRIPTIONS', 10);
// the event types of this run live under their own prefix, so subscriptions left by other runs never match them
const RUN = Math.random().toString(36).slice(2, 8);
const PREFIX = `fanout.${RUN}.`;
const TYPES = ['order.created', 'order.paid', 'invoice.issued', 'customer.updated'];
// subscription i gets FILTERS[i % 4]: everything, all orders, one exact type, all invoices
const FILTERS = [['*'], ['order.*'], ['order.created'], ['invoice.*']];

export const options = {
  scenarios: {
    fanout: {
      executor: 'constant-arrival-rate',
      rate: intEnv('RATE', 1000),
      timeUnit: __ENV.TIME_UNIT || '1m',
      duration: __ENV.DURATION || '60s',
      preAllocatedVUs: intEnv('VUS', 10),
      maxVUs: intEnv('MAX_VUS', 100),
    },
  },
  thresholds: {
    'http_req_failed{endpoint:events}': ['rate<0.001'],
    'http_req_duration{endpoint:events}': ['p(95)<100', 'p(99)<200'],
    'checks{endpoint:events}': ['rate>0.999'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

// webhooks (deliveries) created per event, and in total
const fanoutWidth = new Trend('fanout_width');
const webhooksCreated = new Counter('webhooks_created');

const payloads = TYPES.map((t) => ({ type: t, body: orderPayload(t) }));

export function setup() {
  const subs = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const filter = FILTERS[i % FILTERS.length].map((f) => (f === '*' ? `${PREFIX}*` : PREFIX + f));
    subs.push({ id: createSubscription({ description: `k6 fanout ${RUN} #${i}`, events: filter }).id, filter });
  }
  return { runPrefix: PREFIX, subs };
}

export default function (data) {
  const p = payloads[Math.floor(Math.random() * payloads.length)];
  const eventType = data.runPrefix + p.type;
  const expected = data.subs.filter((s) => s.filter.some((f) => matches(f, eventType))).length;
  // the payload is embedded as JSON, not re-encoded per request
  const body = `{"event_type":${JSON.stringify(eventType)},"payload":${p.body}}`;
  const res = http.post(`${BASE_URL}/events`, body, {
    headers: authHeaders(),
    tags: { endpoint: 'events', name: 'POST /events' },
  });
  const ids = res.status === 202 ? res.json('webhook_ids') : null;
  check(res, {
    'events answered 202': (r) => r.status === 202,
    'one webhook per matching subscription': () => ids !== null && ids.length === expected,
  }, { endpoint: 'events' });
  if (ids !== null) {
    fanoutWidth.add(ids.length);
    webhooksCreated.add(ids.length);
  }
}

export function teardown(data) {
  deleteSubscriptions(data.subs.map((s) => s.id));
}

function matches(filter, type) {
  return filter.endsWith('*') ? type.startsWith(filter.slice(0, -1)) : filter === type;
}
