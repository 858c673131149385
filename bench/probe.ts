/**
 * `tsx bench/probe.ts <data dir> [requests] [profile.cpuprofile]`: the server's own CPU cost of one
 * validation, in process, on a data dir seeded by `BENCH_KEEP_DATA=1 npm run bench`. Requests go
 * through Fastify's `inject` (no sockets), so the figure is Entitle's work alone; with a third
 * argument the measured loop (not the startup) is written as a V8 CPU profile for bench/profile.ts.
 *
 * `PROBE=usage` measures `POST /v1/usage` batches of 1,000 new delta records instead (the bench's
 * own), `PROBE=compliance` the summary of account 1 (10,000 licenses, 1,000,000 usage records),
 * and `PROBE=compliance-cold` that summary with its cache turned off.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { systemClock } from '../src/domain/clock.js';
import { systemPrincipal } from '../src/domain/principal.js';
import { buildApp } from '../src/http/app.js';
import { complianceService } from '../src/services/compliance.js';
import { openStore, servicesFor } from '../src/runtime.js';

const [dataDir, countArg, profileFile] = process.argv.slice(2);
if (dataDir === undefined)
  throw new Error('usage: tsx bench/probe.ts <data dir> [requests] [file]');
const count = Number(countArg ?? '20000');
const INSTANCE_ID = '00000000-0000-4000-8000-00000000be0c';

const scenario = process.env.PROBE ?? 'validate';
const config = loadConfig({ dataDir, logLevel: 'warn' });
const store = await openStore(config);
const services = servicesFor(config, store);
if (scenario === 'compliance-cold')
  services.compliance = complianceService(store, { cacheBytes: 0 });
const app = await buildApp({
  services,
  clock: systemClock,
  logger: { level: 'warn' },
});
const { token } = await services.tokens.issue(
  { principal: systemPrincipal, requestId: null, clock: systemClock },
  { subject: 'probe', role: 'instance', accounts: ['acct-000000'], instance: INSTANCE_ID },
);
const keys =
  scenario === 'validate'
    ? readFileSync(join(dataDir, 'keys.txt'), 'utf8').split('\n').filter(Boolean)
    : [];
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const operator = (
  await services.tokens.issue(
    { principal: systemPrincipal, requestId: null, clock: systemClock },
    { subject: 'probe', role: 'operator', accounts: '*' },
  )
).token;
let usageId = 0;
const run = scenario === 'validate' ? validations : scenario === 'usage' ? batches : summaries;

/** Batches of 1,000 delta records never sent before, as bench/load-worker.ts sends them. */
async function batches(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const at = new Date(Date.now() - 60_000).toISOString();
    const records = Array.from({ length: 1000 }, () => ({
      id: `probe-${String(process.pid)}-${String(usageId++)}`,
      instance: INSTANCE_ID,
      product: 'bench',
      metric: 1,
      kind: 'delta',
      value: 1,
      at,
    }));
    const response = await app.inject({
      method: 'POST',
      url: '/v1/usage',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ records }),
    });
    if (response.statusCode !== 200 || !response.body.startsWith('{"accepted":1000,'))
      throw new Error(response.body.slice(0, 500));
  }
}

async function summaries(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/accounts/acct-000001/compliance',
      headers: { authorization: `Bearer ${operator}` },
    });
    if (response.statusCode !== 200) throw new Error(response.body.slice(0, 500));
  }
}

async function validations(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const key = keys[Math.floor(Math.random() * keys.length)] ?? '';
    const response = await app.inject({
      method: 'POST',
      url: '/v1/licenses/validate',
      headers,
      payload: JSON.stringify({ key, product: 'bench' }),
    });
    if (response.statusCode !== 200) throw new Error(response.body);
  }
}

await run(Math.min(count, scenario === 'validate' ? 5000 : 20)); // warm up the JIT and the caches
const session = new Session();
if (profileFile !== undefined) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
// Ten rounds; the cheapest is reported too: noise from other processes only ever adds time.
const rounds: number[] = [];
const cpu = process.cpuUsage();
const started = performance.now();
for (let round = 0; round < 10; round++) {
  const before = process.cpuUsage();
  await run(Math.ceil(count / 10));
  const spent = process.cpuUsage(before);
  rounds.push((spent.user + spent.system) / Math.ceil(count / 10));
}
const wallMs = performance.now() - started;
const used = process.cpuUsage(cpu);
if (profileFile !== undefined) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileFile, JSON.stringify(profile));
}
process.stdout.write(
  `${String(count)} ${scenario === 'validate' ? 'validations' : `${scenario} requests`}: ${((used.user + used.system) / count).toFixed(1)} µs CPU each (cheapest round ${Math.min(...rounds).toFixed(1)}), ${((wallMs * 1000) / count).toFixed(1)} µs wall each\n`,
);
await app.close();
await store.close();
