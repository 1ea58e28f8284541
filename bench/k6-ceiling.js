// The load generator's own ceiling on this machine: the same ~1 KiB POSTs as k6/ingest-1000rpm.js, with the same
// check, sent to the sink (which answers at once and stores nothing). Whatever rate this reaches is the most any
// k6 scenario can show here, whatever the server; bench/run reports it beside the hookrelay figures.
import http from 'k6/http';
import { check } from 'k6';
import { SINK_URL, SUMMARY_TREND_STATS, intEnv, payloadPool } from '../k6/lib/common.js';

const payloads = payloadPool(32);

export const options = {
  scenarios: {
    ceiling: {
      executor: 'constant-arrival-rate',
      rate: intEnv('RATE', 20000),
      timeUnit: '1s',
      duration: __ENV.DURATION || '20s',
      preAllocatedVUs: 200,
      maxVUs: 600,
    },
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function () {
  const p = payloads[Math.floor(Math.random() * payloads.length)];
  const res = http.post(`${SINK_URL}/ceiling`, p.body, {
    headers: { 'Content-Type': 'application/json', 'X-Event-Type': p.type },
  });
  check(res, { 'sink answered 2xx': (r) => r.status >= 200 && r.status < 300 });
}
