// What every hookrelay k6 script shares: where the node and the sink are, the API key, how to create
// subscriptions that point at the sink, and realistic order-like payloads of about 1 KiB.
import http from 'k6/http';
import { fail } from 'k6';

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const SINK_URL = (__ENV.SINK_URL || 'http://127.0.0.1:9090').replace(/\/+$/, '');
export const API_KEY = __ENV.API_KEY || '';

// p(99) is not in k6's default list; the bench script reads these from --summary-export.
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'];

export function authHeaders(extra) {
  const headers = { 'Content-Type': 'application/json' };
  if (API_KEY) {
    headers.Authorization = `Bearer ${API_KEY}`;
  }
  return Object.assign(headers, extra || {});
}

/** A positive whole number from the environment, or the default. */
export function intEnv(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || Math.floor(n) !== n) {
    fail(`${name} must be a whole number >= 0, got '${raw}'`);
  }
  return n;
}

/** A number from the environment, or the default. */
export function numberEnv(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isFinite(n)) {
    fail(`${name} must be a number, got '${raw}'`);
  }
  return n;
}

/**
 * Creates a subscription delivering to the sink (`${SINK_URL}/hook`) and returns it (id, secret, …).
 * Runs in setup(): a failure here stops the test with the node's answer, not with a wall of 404s later.
 */
export function createSubscription(fields) {
  const body = Object.assign({
    target_url: `${SINK_URL}/hook`,
    description: 'k6 load test',
  }, fields || {});
  const maxInFlight = __ENV.MAX_IN_FLIGHT;
  if (maxInFlight && body.max_in_flight === undefined) {
    body.max_in_flight = Number(maxInFlight);
  }
  const res = http.post(`${BASE_URL}/subscriptions`, JSON.stringify(body),
    { headers: authHeaders(), tags: { endpoint: 'setup' } });
  if (res.status !== 201) {
    fail(`POST ${BASE_URL}/subscriptions answered ${res.status}: ${res.body}` +
      (res.status === 401 ? ' (set API_KEY to one of the node\'s HOOKRELAY_API_KEYS)' : '') +
      (res.status === 422 ? ' (a loopback sink needs HOOKRELAY_ALLOW_PRIVATE_TARGETS=true on the node)' : ''));
  }
  return res.json();
}

/**
 * Deletes what setup() created when CLEANUP=true. Off by default: deleting a subscription cascades to all its
 * deliveries, which is heavy right after a load test and cuts short deliveries still draining to the sink.
 */
export function deleteSubscriptions(ids) {
  if (__ENV.CLEANUP !== 'true') {
    return;
  }
  for (const id of ids) {
    http.del(`${BASE_URL}/subscriptions/${id}`, null, { headers: authHeaders(), tags: { endpoint: 'teardown' } });
  }
}

// Subscriptions made by the ingest scripts filter on these, so fanout.js (its own event types) never reaches them.
export const ORDER_FILTERS = ['order.*', 'invoice.*', 'customer.*'];
const EVENT_TYPES = ['order.created', 'order.paid', 'order.shipped', 'order.refunded', 'invoice.issued',
  'customer.updated'];
const SKUS = ['SKU-RED-MUG', 'SKU-BLU-TEE', 'SKU-GRN-CAP', 'SKU-BLK-BAG', 'SKU-WHT-SOX', 'SKU-YEL-PEN',
  'SKU-PNK-HAT', 'SKU-GRY-JKT'];
const CITIES = [['Lyon', 'FR', '69002'], ['Porto', 'PT', '4050-262'], ['Austin', 'US', '78701'],
  ['Osaka', 'JP', '530-0001'], ['Leeds', 'GB', 'LS1 4DY'], ['Graz', 'AT', '8010']];
const NAMES = ['Ada Byron', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov', 'Ken Thompson'];

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function hex(n) {
  let s = '';
  for (let i = 0; i < n; i++) {
    s += Math.floor(Math.random() * 16).toString(16);
  }
  return s;
}

export function eventType() {
  return pick(EVENT_TYPES);
}

/** One order as a shop would send it: 1-4 line items, customer, addresses; about 1 KiB of JSON. */
export function orderPayload(type) {
  const items = [];
  const lines = 1 + Math.floor(Math.random() * 4);
  let total = 0;
  for (let i = 0; i < lines; i++) {
    const qty = 1 + Math.floor(Math.random() * 3);
    const price = 500 + Math.floor(Math.random() * 9500);
    total += qty * price;
    items.push({ sku: pick(SKUS), quantity: qty, unit_price_cents: price, currency: 'EUR' });
  }
  const city = pick(CITIES);
  const name = pick(NAMES);
  const order = {
    id: `ord_${hex(16)}`,
    type: type || eventType(),
    created_at: new Date().toISOString(),
    livemode: false,
    customer: {
      id: `cus_${hex(12)}`,
      name,
      email: `${name.split(' ')[0].toLowerCase()}.${hex(4)}@example.com`,
      phone: `+33 6 ${hex(2)} ${hex(2)} ${hex(2)} ${hex(2)}`,
    },
    shipping_address: { line1: `${1 + Math.floor(Math.random() * 200)} Rue de la République`, line2: null,
      city: city[0], postal_code: city[2], country: city[1] },
    billing_address: { line1: `${1 + Math.floor(Math.random() * 200)} Main Street`, line2: 'Suite 4',
      city: city[0], postal_code: city[2], country: city[1] },
    items,
    amounts: { subtotal_cents: total, tax_cents: Math.round(total * 0.2), shipping_cents: 495,
      total_cents: Math.round(total * 1.2) + 495 },
    payment: { method: pick(['card', 'sepa_debit', 'paypal']), last4: String(1000 + Math.floor(Math.random() * 9000)),
      status: 'captured' },
    metadata: { channel: pick(['web', 'ios', 'android', 'pos']), campaign: `spring-${hex(3)}`, note: '' },
  };
  // pad to about 1 KiB so every request carries the same order of bytes
  const bare = JSON.stringify(order);
  if (bare.length < 1000) {
    order.metadata.note = 'x'.repeat(1000 - bare.length);
  }
  return JSON.stringify(order);
}

/**
 * A pool of distinct payloads made once per VU in the init context, so the load generator spends its CPU on
 * requests rather than on building JSON (k6 shares the two cores with the node under test).
 */
export function payloadPool(size) {
  const pool = [];
  for (let i = 0; i < size; i++) {
    const type = eventType();
    pool.push({ type, body: orderPayload(type) });
  }
  return pool;
}
