// Finds the knee of ingest: a ramping arrival rate against POST /ingest/{id}, measured band by band (e.g. the
// requests sent while the ramp asked for 5,000-7,500/s), that stops itself once a band's p99 or error rate says the
// node cannot keep up. The last band that passed is the knee. See k6/README.md.
import http from 'k6/http';
import exec from 'k6/execution';
import { check, fail } from 'k6';
import { Gauge } from 'k6/metrics';
import { BASE_URL, SUMMARY_TREND_STATS, authHeaders, createSubscription, deleteSubscriptions, intEnv, numberEnv,
  ORDER_FILTERS, payloadPool } from './lib/common.js';

// "duration:target-per-second" pairs; the default climbs to 30,000/s in 3m30s. Bands assume a ramp that only climbs.
const STAGES = parseStages(__ENV.STAGES || '20s:1000,40s:5000,60s:15000,60s:30000,30s:30000');
const START_RATE = intEnv('START_RATE', 100);
const KNEE_P99_MS = numberEnv('KNEE_P99_MS', 500);
const KNEE_ERROR_RATE = numberEnv('KNEE_ERROR_RATE', 0.01);
const BANDS = bands(__ENV.KNEE_BANDS || '500,1000,2000,3000,5000,7500,10000,15000,20000,25000,30000,40000,50000',
  Math.max(START_RATE, ...STAGES.map((s) => s.target)));

const thresholds = {
  // over the whole run: what a user reads as "did it hold"
  'http_req_duration{endpoint:ingest}': [
    { threshold: `p(99)<${KNEE_P99_MS}`, abortOnFail: true, delayAbortEval: '10s' }],
  'http_req_failed{endpoint:ingest}': [
    { threshold: `rate<${KNEE_ERROR_RATE}`, abortOnFail: true, delayAbortEval: '10s' }],
};
// band by band: a recent window of the ramp, so the run stops soon after the knee rather than when the whole run's
// totals tip over; these also put each band's figures in the summary (and in --summary-export)
for (const b of BANDS) {
  thresholds[`http_req_duration{endpoint:ingest,band:${b.name}}`] = [
    { threshold: `p(99)<${KNEE_P99_MS}`, abortOnFail: true, delayAbortEval: '10s' }];
  thresholds[`http_req_failed{endpoint:ingest,band:${b.name}}`] = [
    { threshold: `rate<${KNEE_ERROR_RATE}`, abortOnFail: true, delayAbortEval: '10s' }];
  // how long the ramp has been in the band: requests / this = the rate achieved there
  thresholds[`band_elapsed_ms{band:${b.name}}`] = ['value>=0'];
}

export const options = {
  scenarios: {
    stress: {
      executor: 'ramping-arrival-rate',
      startRate: START_RATE,
      timeUnit: '1s',
      stages: STAGES.map((s) => ({ duration: s.duration, target: s.target })),
      // 2 cores: a few hundred VUs are plenty while the node keeps up; the cap keeps k6 from eating the box
      // when it does not (arrivals it cannot start show up as dropped_iterations)
      preAllocatedVUs: intEnv('VUS', 100),
      maxVUs: intEnv('MAX_VUS', 600),
      gracefulStop: '10s',
    },
  },
  thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

// the arrival rate the ramp asked for at each request; its max is the highest rate reached
const targetRate = new Gauge('target_rate');
const bandElapsed = new Gauge('band_elapsed_ms');

const payloads = payloadPool(32);

export function setup() {
  const sub = createSubscription({ description: 'k6 stress', events: ORDER_FILTERS });
  return { subscriptionId: sub.id };
}

export default function (data) {
  const elapsed = Date.now() - exec.scenario.startTime;
  const rate = rateAt(elapsed);
  const band = BANDS.find((b) => rate < b.hi) || BANDS[BANDS.length - 1];
  const p = payloads[Math.floor(Math.random() * payloads.length)];
  const res = http.post(`${BASE_URL}/ingest/${data.subscriptionId}`, p.body, {
    headers: authHeaders({ 'X-Event-Type': p.type }),
    tags: { endpoint: 'ingest', name: 'POST /ingest/{id}', band: band.name },
  });
  check(res, { 'ingest answered 202': (r) => r.status === 202 }, { endpoint: 'ingest' });
  targetRate.add(rate);
  bandElapsed.add(Math.max(1, elapsed - band.startsMs), { band: band.name });
}

export function teardown(data) {
  deleteSubscriptions([data.subscriptionId]);
}

/** The rate the ramp targets `elapsedMs` into the scenario: linear within each stage, as k6 ramps it. */
function rateAt(elapsedMs) {
  let from = START_RATE;
  let t = elapsedMs;
  for (const stage of STAGES) {
    if (t <= stage.ms) {
      return Math.round(from + (stage.target - from) * (stage.ms === 0 ? 1 : t / stage.ms));
    }
    t -= stage.ms;
    from = stage.target;
  }
  return from;
}

/** When the climbing ramp first asks for `rate` or more, in ms from the start; Infinity if it never does. */
function firstReachMs(rate) {
  let from = START_RATE;
  let at = 0;
  if (from >= rate) {
    return 0;
  }
  for (const stage of STAGES) {
    if (stage.target >= rate) {
      return at + stage.ms * (rate - from) / (stage.target - from);
    }
    at += stage.ms;
    from = stage.target;
  }
  return Infinity;
}

/** Bands [lo, hi) from the edges, up to the band holding the highest rate; named "lo-hi". */
function bands(spec, maxRate) {
  const edges = [0, ...spec.split(',').map((e) => Number(e.trim()))];
  if (edges.some((e) => !Number.isFinite(e)) || edges.some((e, i) => i > 0 && e <= edges[i - 1])) {
    fail(`KNEE_BANDS must be increasing rates per second, e.g. '1000,5000,10000', got '${spec}'`);
  }
  const out = [];
  for (let i = 0; i < edges.length; i++) {
    const lo = edges[i];
    const hi = i + 1 < edges.length ? edges[i + 1] : Infinity;
    if (lo > maxRate) {
      break;
    }
    out.push({ name: `${lo}-${hi === Infinity ? 'max' : hi}`, lo, hi, startsMs: firstReachMs(lo) });
  }
  return out;
}

function parseStages(spec) {
  return spec.split(',').map((part) => {
    const m = part.trim().match(/^(\d+)(ms|s|m)?:(\d+)$/);
    if (!m) {
      fail(`STAGES must look like '30s:1000,60s:5000' (duration:rate per second), got '${part}'`);
    }
    const unit = m[2] || 's';
    const ms = Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60000);
    return { duration: `${ms}ms`, ms, target: Number(m[3]) };
  });
}
