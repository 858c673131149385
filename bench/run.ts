/**
 * `npm run bench`: starts the built server and a bare Fastify baseline, each in its own process on
 * loopback, seeds data through the store, drives load with autocannon from this process and prints
 * every figure as a ratio to the baseline measured in the same run. Bounded: each scenario runs
 * for BENCH_SECONDS (default 5). Results go to bench/results/latest.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { generateNativeKey, NATIVE_KEY_RANDOM_BYTES } from '../src/domain/license-key.js';
import { FIRST_SERIAL } from '../src/services/licenses.js';
import { readOrCreateSecret } from '../src/services/token-keys.js';
import type { UsageRecord } from '../src/domain/usage.js';
import { openSqliteStore, type Store } from '../src/store/database.js';
import { insertUsage } from '../src/store/usage.repository.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '5');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? '50');
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? '100000');
const LICENSES = Number(process.env.BENCH_LICENSES ?? '200000');
const INSTANCE_ID = '00000000-0000-4000-8000-00000000be0c';
/** The compliance scenario's account: this many licenses and usage records of its own. */
const COMPLIANCE_LICENSES = Number(process.env.BENCH_COMPLIANCE_LICENSES ?? '10000');
const COMPLIANCE_USAGE = Number(process.env.BENCH_USAGE_RECORDS ?? '1000000');
const CLI = resolve('dist/cli/main.js');

interface Figure {
  scenario: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        done(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready within 30 s`);
}

async function seed(dataDir: string): Promise<void> {
  const store = openSqliteStore({ file: join(dataDir, 'entitle.db') });
  await store.migrate();
  const now = new Date('2026-01-01T00:00:00Z').toISOString();
  await store.transaction('bench.seed', async (tx) => {
    for (let start = 0; start < ACCOUNTS; start += 500) {
      const rows = [];
      for (let i = start; i < Math.min(ACCOUNTS, start + 500); i++) {
        rows.push({
          id: accountId(i),
          name: `Customer ${String(i % 997)}`,
          org_id: i % 3 === 0 ? null : `org-${String(i % 101)}`,
          settings: '{}',
          created_at: now,
          updated_at: now,
        });
      }
      await tx.insertInto('accounts').values(rows).execute();
    }
  });
  await seedLicenses(store, now);
  await seedComplianceAccount(store, now);
  await store.close();
}

/**
 * Account 1: COMPLIANCE_LICENSES licenses of the bench product and COMPLIANCE_USAGE usage records
 * (nine deltas for every gauge, spread over the last 60 days), ingested through the usage store
 * so the aggregates are the real ones.
 */
async function seedComplianceAccount(store: Store, now: string): Promise<void> {
  const secret = readOrCreateSecret(join(dataDir, 'license-key-secret'));
  const account = accountId(1);
  await store.transaction('bench.seed-compliance-licenses', async (tx) => {
    for (let start = 0; start < COMPLIANCE_LICENSES; start += 400) {
      const rows = [];
      for (let i = start; i < Math.min(COMPLIANCE_LICENSES, start + 400); i++) {
        const serial = FIRST_SERIAL + LICENSES + i;
        rows.push({
          id: `license-${String(serial)}-${randomUUID()}`,
          serial_number: serial,
          key: generateNativeKey(randomBytes(NATIVE_KEY_RANDOM_BYTES), secret),
          key_scheme: 'native',
          account_id: account,
          product_id: 1,
          kind: 'node',
          service: null,
          group_name: 'CVO',
          term: i % 10 === 0 ? 'TRIAL' : 'SUBSCRIPTION',
          metric_id: 1,
          quantity: 1,
          features: '[]',
          base_license: 0,
          description: 'Bench',
          created_at: now,
          updated_at: now,
          starts_at: null,
          activated_at: null,
          expires_at: new Date(Date.now() + ((i % 120) + 1) * 86_400_000).toISOString(),
          grace_days: 7,
          seat_limit: null,
          state: 'active',
          deactivated_key: null,
          order_id: null,
          sku: null,
          labels: '{}',
        });
      }
      await tx.insertInto('licenses').values(rows).execute();
    }
  });
  const received = new Date().toISOString();
  for (let start = 0; start < COMPLIANCE_USAGE; start += 10_000) {
    const records: UsageRecord[] = [];
    for (let i = start; i < Math.min(COMPLIANCE_USAGE, start + 10_000); i++) {
      records.push({
        accountId: account,
        id: `seed-${String(i)}`,
        instanceId: null,
        productId: 1,
        measure: 'metric:1',
        kind: i % 10 === 0 ? 'gauge' : 'delta',
        value: i % 10 === 0 ? 5000 + (i % 97) : 0.001,
        at: new Date(Date.now() - (i % 60) * 86_400_000 - 60_000).toISOString(),
      });
    }
    await store.transaction('bench.seed-usage', (tx) => insertUsage(tx, records, received));
  }
}

/** Licenses of one product on account 0, each activated on the benchmark's instance. */
async function seedLicenses(store: Store, now: string): Promise<void> {
  const secret = readOrCreateSecret(join(dataDir, 'license-key-secret'));
  await store.transaction('bench.seed-licenses', async (tx) => {
    await tx
      .insertInto('products')
      .values({
        id: 1,
        slug: 'bench',
        name: 'Bench',
        group_name: 'CVO',
        description: '',
        created_at: now,
        updated_at: now,
      })
      .execute();
    await tx
      .insertInto('product_metrics')
      .values({ product_id: 1, metric_id: 1, name: 'Nodes', unit: 'nodes' })
      .execute();
    await tx
      .insertInto('instances')
      .values({
        id: INSTANCE_ID,
        account_id: accountId(0),
        install_id: 1234567,
        device_serial: 'BENC-HBEN-CHBE-NCH0',
        name: 'bench',
        hostname: null,
        fingerprint: null,
        labels: '{}',
        created_at: now,
        updated_at: now,
        last_seen_at: null,
      })
      .execute();
    for (let start = 0; start < LICENSES; start += 400) {
      const licenses = [];
      const activations = [];
      for (let i = start; i < Math.min(LICENSES, start + 400); i++) {
        const id = `license-${String(FIRST_SERIAL + i)}-${randomUUID()}`;
        const key = generateNativeKey(randomBytes(NATIVE_KEY_RANDOM_BYTES), secret);
        keys.push(key);
        licenses.push({
          id,
          serial_number: FIRST_SERIAL + i,
          key,
          key_scheme: 'native',
          account_id: accountId(0),
          product_id: 1,
          kind: 'node',
          service: null,
          group_name: 'CVO',
          term: 'SUBSCRIPTION',
          metric_id: 1,
          quantity: 1,
          features: '[]',
          base_license: 0,
          description: 'Bench',
          created_at: now,
          updated_at: now,
          starts_at: null,
          activated_at: now,
          expires_at: '2030-01-01T00:00:00.000Z',
          grace_days: 0,
          seat_limit: 5,
          state: 'active',
          deactivated_key: null,
          order_id: null,
          sku: null,
          labels: '{}',
        });
        activations.push({
          license_id: id,
          instance_id: INSTANCE_ID,
          activated_at: now,
          deactivated_at: null,
        });
      }
      await tx.insertInto('licenses').values(licenses).execute();
      await tx.insertInto('activations').values(activations).execute();
    }
    await tx
      .insertInto('sequences')
      .values({ name: 'license_serial', value: FIRST_SERIAL + LICENSES })
      .execute();
  });
}

function accountId(i: number): string {
  return `acct-${String(i).padStart(6, '0')}`;
}

/** BENCH_ONLY=validate,usage: run only scenarios whose name contains one of these (and the baseline). */
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter((word) => word !== '');

async function load(
  scenario: string,
  url: string,
  options: Partial<autocannon.Options> = {},
): Promise<Figure> {
  const wanted =
    ONLY.length === 0 || scenario.startsWith('baseline') || ONLY.some((w) => scenario.includes(w));
  if (!wanted) return { scenario, requestsPerSecond: 0, p50Ms: 0, p99Ms: 0, errors: 0, non2xx: 0 };
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    ...options,
  });
  return {
    scenario,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

function start(command: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, command, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

const dataDir = mkdtempSync(join(tmpdir(), 'entitle-bench-'));
const keys: string[] = [];
const children: ChildProcess[] = [];
try {
  process.stdout.write(
    `seeding ${String(ACCOUNTS)} accounts, ${String(LICENSES + COMPLIANCE_LICENSES)} licenses and ${String(COMPLIANCE_USAGE)} usage records…\n`,
  );
  await seed(dataDir);
  const env = { ENTITLE_DATA_DIR: dataDir, ENTITLE_LOG_LEVEL: 'warn', ENTITLE_HOST: '127.0.0.1' };
  const minted = spawnSync(
    process.execPath,
    [CLI, 'token', 'create', '--role', 'operator', '--accounts', '*', '--ttl', '1h'],
    {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    },
  );
  if (minted.status !== 0) throw new Error(`token create failed: ${minted.stderr}`);
  const token = minted.stdout.trim();
  const instanceMinted = spawnSync(
    process.execPath,
    [
      CLI,
      'token',
      'create',
      '--role',
      'instance',
      '--accounts',
      accountId(0),
      '--instance',
      INSTANCE_ID,
      '--ttl',
      '1h',
    ],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  if (instanceMinted.status !== 0) throw new Error(`token create failed: ${instanceMinted.stderr}`);
  const instanceToken = instanceMinted.stdout.trim();

  const basePort = await freePort();
  children.push(
    start([resolve('node_modules/tsx/dist/cli.mjs'), 'bench/baseline-server.ts'], {
      PORT: String(basePort),
    }),
  );
  const entitlePort = await freePort();
  // BENCH_PROFILE=<dir>: the server writes a V8 CPU profile there when it stops (bench/profile.ts reads it).
  const profile = process.env.BENCH_PROFILE;
  const profiling =
    profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profile)}`];
  children.push(start([...profiling, CLI, 'serve'], { ...env, ENTITLE_PORT: String(entitlePort) }));
  const base = `http://127.0.0.1:${String(basePort)}`;
  const entitle = `http://127.0.0.1:${String(entitlePort)}`;
  await waitUntilReady(`${base}/ping`);
  await waitUntilReady(`${entitle}/readyz`);

  const auth = { authorization: `Bearer ${token}` };
  let n = 0;
  const figures: Figure[] = [];
  figures.push(await load('baseline: bare Fastify route', `${base}/ping`));
  figures.push(await load('GET /healthz (full plugin stack, no auth)', `${entitle}/healthz`));
  figures.push(
    await load(
      'GET /v1/accounts/{id} (JWT + primary-key read)',
      `${entitle}/v1/accounts/${accountId(0)}`,
      {
        headers: auth,
        requests: [
          {
            setupRequest: (request) => {
              n = (n * 7919 + 1) % ACCOUNTS;
              return { ...request, path: `/v1/accounts/${accountId(n)}` };
            },
          },
        ],
      },
    ),
  );
  figures.push(
    await load(
      'GET /v1/accounts?filter&orderBy&limit=20 (keyset page)',
      `${entitle}/v1/accounts?filter=${encodeURIComponent("name eq 'Customer 42'")}&orderBy=${encodeURIComponent('createdAt desc')}&limit=20`,
      { headers: auth },
    ),
  );

  // The load must measure real verdicts: one sample first, and it must be VALID.
  const sample = await fetch(`${entitle}/v1/licenses/validate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${instanceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key: keys[0] ?? '', product: 'bench' }),
  });
  const verdict = (await sample.json()) as { code?: string };
  if (verdict.code !== 'VALID')
    throw new Error(`validate sample answered ${JSON.stringify(verdict)}`);
  let k = 0;
  figures.push(
    await load(
      'POST /v1/licenses/validate (instance token, random keys)',
      `${entitle}/v1/licenses/validate`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${instanceToken}`, 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request) => {
              k = (k * 7919 + 1) % keys.length;
              return { ...request, body: JSON.stringify({ key: keys[k] ?? '', product: 'bench' }) };
            },
          },
        ],
      },
    ),
  );

  // Usage ingestion: batches of USAGE_BATCH delta records from a service token, fresh ids each.
  const USAGE_BATCH = 500;
  const serviceMinted = spawnSync(
    process.execPath,
    [CLI, 'token', 'create', '--role', 'service', '--accounts', accountId(0), '--ttl', '1h'],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  if (serviceMinted.status !== 0) throw new Error(`token create failed: ${serviceMinted.stderr}`);
  let u = 0;
  const usageFigure = await load(
    `POST /v1/usage (service token, ${String(USAGE_BATCH)} records per request)`,
    `${entitle}/v1/usage`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${serviceMinted.stdout.trim()}`,
        'content-type': 'application/json',
      },
      requests: [
        {
          setupRequest: (request) => {
            const at = new Date(Date.now() - 60_000).toISOString();
            const records = Array.from({ length: USAGE_BATCH }, () => ({
              id: `bench-${String(u++)}`,
              instance: INSTANCE_ID,
              product: 'bench',
              metric: 1,
              kind: 'delta',
              value: 1,
              at,
            }));
            return { ...request, body: JSON.stringify({ records }) };
          },
        },
      ],
    },
  );
  figures.push(usageFigure);
  process.stdout.write(
    `usage ingestion: ${String(usageFigure.requestsPerSecond * USAGE_BATCH)} records/s\n`,
  );

  // The compliance summary of an account with COMPLIANCE_LICENSES licenses and COMPLIANCE_USAGE
  // usage records: the whole model, computed per request from licenses and the usage aggregates.
  figures.push(
    await load(
      `GET /v1/accounts/{id}/compliance (${String(COMPLIANCE_LICENSES)} licenses, ${String(COMPLIANCE_USAGE)} usage records)`,
      `${entitle}/v1/accounts/${accountId(1)}/compliance`,
      { headers: auth, connections: 4 },
    ),
  );

  const [baseline] = figures;
  if (baseline === undefined) throw new Error('no baseline figure');
  const rows = figures.map((f) => ({
    ...f,
    throughputRatio: Number((f.requestsPerSecond / baseline.requestsPerSecond).toFixed(3)),
    p99Ratio: Number((f.p99Ms / Math.max(baseline.p99Ms, 1)).toFixed(3)),
  }));
  const report = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    settings: {
      seconds: SECONDS,
      connections: CONNECTIONS,
      accounts: ACCOUNTS,
      licenses: LICENSES,
      complianceLicenses: COMPLIANCE_LICENSES,
      usageRecords: COMPLIANCE_USAGE,
    },
    results: rows,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
  console.table(
    rows.map((r) => ({
      scenario: r.scenario,
      'req/s': r.requestsPerSecond,
      'x baseline': r.throughputRatio,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      'p99 x baseline': r.p99Ratio,
      'errors+non2xx': r.errors + r.non2xx,
    })),
  );
  const failed = rows.filter((r) => r.errors + r.non2xx > 0);
  if (failed.length > 0) {
    process.stderr.write(`scenarios with errors: ${failed.map((r) => r.scenario).join(', ')}\n`);
    process.exitCode = 1;
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
