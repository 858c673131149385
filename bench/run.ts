/**
 * `npm run bench`: starts the built server and a bare Fastify baseline, each in its own process on
 * loopback, seeds data through the store, drives load with autocannon from this process and prints
 * every figure as a ratio to the baseline measured in the same run. Bounded: each scenario runs
 * for BENCH_SECONDS (default 5). Results go to bench/results/latest.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LoadFigures, LoadSpec } from './load-worker.js';
import { generateNativeKey, NATIVE_KEY_RANDOM_BYTES } from '../src/domain/license-key.js';
import { FIRST_SERIAL } from '../src/services/licenses.js';
import { readOrCreateSecret } from '../src/services/token-keys.js';
import type { UsageRecord } from '../src/domain/usage.js';
import { openPostgresStore, openSqliteStore, type Store } from '../src/store/database.js';
import { createDatabase, postgresBinDir, startPostgresCluster } from '../test/helpers/postgres.js';
import { insertUsage } from '../src/store/usage.repository.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '5');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? '50');
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? '100000');
const LICENSES = Number(process.env.BENCH_LICENSES ?? '1000000');
const INSTANCE_ID = '00000000-0000-4000-8000-00000000be0c';
const NETPROFILER_INSTANCE_ID = '00000000-0000-4000-8000-0000000000e9';
/** The compliance scenario's account: this many licenses and usage records of its own. */
const COMPLIANCE_LICENSES = Number(process.env.BENCH_COMPLIANCE_LICENSES ?? '10000');
const COMPLIANCE_USAGE = Number(process.env.BENCH_USAGE_RECORDS ?? '1000000');
const CLI = resolve('dist/cli/main.js');
/**
 * How the server runs: with the Node flags and environment of `npm start` (package.json's start
 * script, e.g. `MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 dist/cli/main.js serve`), so the
 * bench measures the server as it is run. BENCH_SERVER_FLAGS (space separated) replaces the flags
 * to try others; the environment can be tried by setting it for the bench.
 */
const START = startScript();
const SERVER_NODE_FLAGS =
  process.env.BENCH_SERVER_FLAGS === undefined
    ? START.flags
    : process.env.BENCH_SERVER_FLAGS.split(' ').filter((flag) => flag !== '');

function startScript(): { env: Record<string, string>; flags: string[] } {
  const scripts = (
    JSON.parse(readFileSync('package.json', 'utf8')) as { scripts?: { start?: string } }
  ).scripts;
  const match =
    /((?:\b[A-Z_]+=\S+\s+)*)node((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/cli\/main\.js\s+serve\b/.exec(
      scripts?.start ?? '',
    );
  const words = (text: string | undefined) => (text ?? '').split(/\s+/).filter((w) => w !== '');
  const env: Record<string, string> = {};
  for (const assignment of words(match?.[1])) {
    const [name = '', value = ''] = assignment.split('=');
    if (process.env[name] === undefined) env[name] = value;
  }
  return { env, flags: words(match?.[2]) };
}

/** Linux's USER_HZ (`getconf CLK_TCK`), the unit of /proc/<pid>/stat CPU times. */
const CLOCK_TICKS_PER_SECOND = 100;

interface Figure {
  scenario: string;
  requestsPerSecond: number;
  requests: number;
  /**
   * CPU time the serving process spent per response (user + system, from /proc): unlike req/s it
   * does not move when another process takes the other core, so it shows what a change saved.
   */
  serverCpuUs: number | null;
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

interface SeedSizes {
  accounts: number;
  licenses: number;
  /** Account 1's licenses and usage records for the compliance scenario (0: none). */
  complianceLicenses: number;
  complianceUsage: number;
}

/** Seeds a migrated store; the license key secret is read (or made) in `secretDir`. Answers the keys. */
async function seed(store: Store, secretDir: string, sizes: SeedSizes): Promise<string[]> {
  const now = new Date('2026-01-01T00:00:00Z').toISOString();
  await store.transaction('bench.seed', async (tx) => {
    for (let start = 0; start < sizes.accounts; start += 500) {
      const rows = [];
      for (let i = start; i < Math.min(sizes.accounts, start + 500); i++) {
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
  const seeded = await seedLicenses(store, now, secretDir, sizes.licenses);
  if (sizes.complianceLicenses > 0) await seedComplianceAccount(store, now, secretDir, sizes);
  return seeded;
}

/**
 * Account 1: COMPLIANCE_LICENSES licenses of the bench product and COMPLIANCE_USAGE usage records
 * (nine deltas for every gauge, spread over the last 60 days), ingested through the usage store
 * so the aggregates are the real ones.
 */
async function seedComplianceAccount(
  store: Store,
  now: string,
  secretDir: string,
  sizes: SeedSizes,
): Promise<void> {
  const secret = readOrCreateSecret(join(secretDir, 'license-key-secret'));
  const { complianceLicenses: COMPLIANCE_LICENSES, complianceUsage: COMPLIANCE_USAGE } = sizes;
  const account = accountId(1);
  await store.transaction('bench.seed-compliance-licenses', async (tx) => {
    for (let start = 0; start < COMPLIANCE_LICENSES; start += 400) {
      const rows = [];
      for (let i = start; i < Math.min(COMPLIANCE_LICENSES, start + 400); i++) {
        const serial = FIRST_SERIAL + sizes.licenses + i;
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
async function seedLicenses(
  store: Store,
  now: string,
  secretDir: string,
  count: number,
): Promise<string[]> {
  const secret = readOrCreateSecret(join(secretDir, 'license-key-secret'));
  const seeded: string[] = [];
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
        id: NETPROFILER_INSTANCE_ID,
        account_id: accountId(0),
        install_id: 7654321,
        device_serial: 'NETP-ROFI-LERB-ENCH',
        name: 'netprofiler',
        hostname: null,
        fingerprint: null,
        labels: '{}',
        created_at: now,
        updated_at: now,
        last_seen_at: null,
      })
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
    for (let start = 0; start < count; start += 400) {
      const licenses = [];
      const activations = [];
      for (let i = start; i < Math.min(count, start + 400); i++) {
        const id = `license-${String(FIRST_SERIAL + i)}-${randomUUID()}`;
        const key = generateNativeKey(randomBytes(NATIVE_KEY_RANDOM_BYTES), secret);
        seeded.push(key);
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
      // The NetProfiler appliance holds the first three licenses, as the document's does.
      if (start === 0) {
        await tx
          .insertInto('activations')
          .values(
            activations.slice(0, 3).map((a) => ({ ...a, instance_id: NETPROFILER_INSTANCE_ID })),
          )
          .execute();
      }
    }
    await tx
      .insertInto('sequences')
      .values({ name: 'license_serial', value: FIRST_SERIAL + count })
      .execute();
  });
  return seeded;
}

function accountId(i: number): string {
  return `acct-${String(i).padStart(6, '0')}`;
}

/** BENCH_ONLY=validate,usage: run only scenarios whose name contains one of these (and the baseline). */
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter((word) => word !== '');

const TSX = resolve('node_modules/tsx/dist/cli.mjs');

/** Runs one load in its own process (bench/load-worker.ts); a skipped scenario reads as null. */
function load(
  scenario: string,
  spec: Omit<LoadSpec, 'connections' | 'seconds'> & {
    connections?: number;
    /** The serving process, whose CPU time is read before and after the load. */
    server: ChildProcess;
  },
): Promise<Figure | null> {
  const { server, connections, ...rest } = spec;
  return loadSplit(scenario, [{ server, spec: rest }], connections);
}

/**
 * One load split over several servers at once (one worker process per server, the connections
 * shared out): req/s and responses add up, p50 and p99 are the worst server's, CPU per response
 * is the servers' total over all responses.
 */
async function loadSplit(
  scenario: string,
  targets: { server: ChildProcess; spec: Omit<LoadSpec, 'connections' | 'seconds'> }[],
  connections = CONNECTIONS,
): Promise<Figure | null> {
  const wanted =
    ONLY.length === 0 ||
    scenario.startsWith('baseline') ||
    ONLY.some((w) => scenario.toLowerCase().includes(w.toLowerCase()));
  if (!wanted) return null;
  const each = Math.max(1, Math.floor(connections / targets.length));
  const before = targets.map((t) => cpuSeconds(t.server.pid));
  const runs = await Promise.all(
    targets.map(
      ({ spec }) =>
        new Promise<LoadFigures>((done, fail) => {
          const full: LoadSpec = { connections: each, seconds: SECONDS, ...spec };
          const child = spawn(
            process.execPath,
            [TSX, 'bench/load-worker.ts', JSON.stringify(full)],
            {
              stdio: ['ignore', 'pipe', 'pipe'],
            },
          );
          let out = '';
          let err = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
          // A worker that hangs is stopped: the run stays bounded in time.
          const timer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 60) * 1000);
          child.once('exit', (code) => {
            clearTimeout(timer);
            if (code !== 0) fail(new Error(`load of '${scenario}' failed: ${err}`));
            else done(JSON.parse(out.trim().split('\n').pop() ?? '{}') as LoadFigures);
          });
        }),
    ),
  );
  const after = targets.map((t) => cpuSeconds(t.server.pid));
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  const cpu = after.reduce<number | null>((sum, a, i) => {
    const b = before[i];
    return sum === null || a === null || b === null || b === undefined ? null : sum + a - b;
  }, 0);
  return {
    scenario,
    requestsPerSecond: runs.reduce((sum, r) => sum + r.requestsPerSecond, 0),
    requests,
    serverCpuUs: cpu === null || requests === 0 ? null : Math.round((cpu * 1e6) / requests),
    p50Ms: Math.max(...runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

/** Sends SIGTERM and waits for the exit (SIGKILL after 10 s): the run never hangs on a child. */
function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** User + system CPU seconds a process has used, from /proc/<pid>/stat (Linux; null elsewhere). */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at index 3: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

function baselineOps(mode: string, ...args: string[]): number {
  const run = spawnSync(process.execPath, [TSX, 'bench/baselines.ts', mode, '3', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`baseline ${mode} failed: ${run.stderr}`);
  return (JSON.parse(run.stdout.trim()) as { opsPerSecond: number }).opsPerSecond;
}

/**
 * The SDK's offline verify against a raw `crypto.verify` loop, alternating slices on one core
 * (sdk/bench/verify.ts): both sides see the same load. Null when the BENCH_ONLY filter skips it.
 */
function sdkVerifyRatio(): { ratio: number; distinctRatio: number; sdkPerSecond: number } | null {
  if (ONLY.length > 0 && !ONLY.some((word) => 'sdk verify'.includes(word))) return null;
  const run = spawnSync(process.execPath, [TSX, 'sdk/bench/verify.ts', '4'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`sdk verify bench failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
    ratio: number;
    distinctRatio: number;
    sdkPerSecond: number;
  };
}

function start(command: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, command, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function mint(env: NodeJS.ProcessEnv, ...args: string[]): string {
  const minted = spawnSync(process.execPath, [CLI, 'token', 'create', '--ttl', '1h', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (minted.status !== 0) throw new Error(`token create failed: ${minted.stderr}`);
  return minted.stdout.trim();
}

/** Resident set size of a process, from /proc (Linux). */
function rssMb(pid: number | undefined): number | null {
  try {
    const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}

/** `count` continue tokens of a list query, walking its pages, so the load reads deep pages too. */
async function pagesOf(url: string, headers: Record<string, string>, count: number) {
  const paths: string[] = [];
  let next: string | undefined;
  const { pathname, search } = new URL(url);
  for (let i = 0; i < count; i++) {
    const path = `${pathname}${search}${next === undefined ? '' : `&continue=${encodeURIComponent(next)}`}`;
    paths.push(path);
    const page = (await (await fetch(new URL(path, url), { headers })).json()) as {
      metadata?: { continue?: string };
    };
    next = page.metadata?.continue;
    if (next === undefined) break;
  }
  return paths;
}

const PG_ACCOUNTS = Number(process.env.BENCH_PG_ACCOUNTS ?? '1000');
const PG_LICENSES = Number(process.env.BENCH_PG_LICENSES ?? '100000');
const USAGE_BATCH = 1000;
/** The usage batches every ingestion load sends (fresh ids each time, see bench/load-worker.ts). */
const USAGE_BATCHES = {
  kind: 'usage',
  size: USAGE_BATCH,
  instance: INSTANCE_ID,
  product: 'bench',
  metric: 1,
} as const;

/**
 * The same validate and ingest loads on PostgreSQL (a throwaway cluster, test/helpers/postgres.ts),
 * served by one process and then by two on the one database, for the ratios against this run's
 * single-process SQLite figures. Skipped (null figures) without PostgreSQL's binaries or when
 * BENCH_ONLY leaves out 'postgres'.
 */
async function postgresScenarios(
  sqliteValidate: Figure | null,
  sqliteUsage: Figure | null,
): Promise<{ figures: Figure[]; validate: (Figure | null)[]; usage: (Figure | null)[] }> {
  const none = { figures: [], validate: [null, null], usage: [null, null] };
  if (ONLY.length > 0 && !ONLY.includes('postgres')) return none;
  if (postgresBinDir() === undefined) {
    process.stdout.write('PostgreSQL binaries not found: the PostgreSQL scenarios are skipped\n');
    return none;
  }
  process.stdout.write(`PostgreSQL: seeding ${String(PG_LICENSES)} licenses…\n`);
  const cluster = await startPostgresCluster({ maxConnections: 100 });
  const pgDir = mkdtempSync(join(tmpdir(), 'entitle-bench-pg-'));
  const started: ChildProcess[] = [];
  try {
    const url = cluster.url(await createDatabase(cluster.adminUrl));
    const store = openPostgresStore({ url, poolSize: 4 });
    await store.migrate();
    const pgKeys = await seed(store, pgDir, {
      accounts: PG_ACCOUNTS,
      licenses: PG_LICENSES,
      complianceLicenses: 0,
      complianceUsage: 0,
    });
    await store.close();
    const keysFile = join(pgDir, 'keys.txt');
    writeFileSync(keysFile, `${pgKeys.join('\n')}\n`);
    const env = {
      ENTITLE_DATA_DIR: pgDir,
      ENTITLE_DATABASE_URL: url,
      ENTITLE_LOG_LEVEL: 'warn',
      ENTITLE_HOST: '127.0.0.1',
      ENTITLE_RATE_LIMIT: '0',
    };
    const instanceToken = mint(
      env,
      '--role',
      'instance',
      '--accounts',
      accountId(0),
      '--instance',
      INSTANCE_ID,
    );
    const serviceToken = mint(env, '--role', 'service', '--accounts', accountId(0));
    const servers: { server: ChildProcess; url: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const server = start([...SERVER_NODE_FLAGS, CLI, 'serve', '--no-jobs'], {
        ...START.env,
        ...env,
        ENTITLE_PORT: String(port),
      });
      started.push(server);
      children.push(server);
      servers.push({ server, url: `http://127.0.0.1:${String(port)}` });
      await waitUntilReady(`http://127.0.0.1:${String(port)}/readyz`);
    }
    const validateSpec = (target: string) => ({
      url: `${target}/v1/licenses/validate`,
      method: 'POST' as const,
      headers: { authorization: `Bearer ${instanceToken}` },
      vary: { kind: 'key-body' as const, keysFile, field: 'key', extra: { product: 'bench' } },
    });
    const usageSpec = (target: string) => ({
      url: `${target}/v1/usage`,
      method: 'POST' as const,
      headers: { authorization: `Bearer ${serviceToken}` },
      vary: USAGE_BATCHES,
    });
    const one = servers.slice(0, 1);
    const validate = [
      await loadSplit(
        `PostgreSQL, 1 process: POST /v1/licenses/validate (${String(PG_LICENSES)} licenses)`,
        one.map((s) => ({ server: s.server, spec: validateSpec(s.url) })),
      ),
      await loadSplit(
        `PostgreSQL, 2 processes: POST /v1/licenses/validate (${String(PG_LICENSES)} licenses)`,
        servers.map((s) => ({ server: s.server, spec: validateSpec(s.url) })),
      ),
    ];
    const usage = [
      await loadSplit(
        `PostgreSQL, 1 process: POST /v1/usage (${String(USAGE_BATCH)} records per request)`,
        one.map((s) => ({ server: s.server, spec: usageSpec(s.url) })),
        4,
      ),
      await loadSplit(
        `PostgreSQL, 2 processes: POST /v1/usage (${String(USAGE_BATCH)} records per request)`,
        servers.map((s) => ({ server: s.server, spec: usageSpec(s.url) })),
        4,
      ),
    ];
    const figures = [...validate, ...usage].filter((f): f is Figure => f !== null);
    const relative = (f: Figure | null, base: Figure | null) =>
      f === null || base === null || base.requestsPerSecond === 0
        ? null
        : Number((f.requestsPerSecond / base.requestsPerSecond).toFixed(3));
    process.stdout.write(
      `PostgreSQL vs this run's single-process SQLite: validate ${String(relative(validate[0] ?? null, sqliteValidate))}x (1 process), ${String(relative(validate[1] ?? null, sqliteValidate))}x (2 processes); usage ${String(relative(usage[0] ?? null, sqliteUsage))}x (1 process), ${String(relative(usage[1] ?? null, sqliteUsage))}x (2 processes)\n`,
    );
    return { figures, validate, usage };
  } finally {
    // The servers first: a cluster stopped under them cuts their connections mid-shutdown.
    await Promise.all(started.map(stopped));
    cluster.stop();
    rmSync(pgDir, { recursive: true, force: true });
  }
}

interface Target {
  name: string;
  value: number | null;
  target: string;
  met: boolean | null;
}

const dataDir = mkdtempSync(join(tmpdir(), 'entitle-bench-'));
const keys: string[] = [];
const children: ChildProcess[] = [];
try {
  process.stdout.write(
    `seeding ${String(ACCOUNTS)} accounts, ${String(LICENSES + COMPLIANCE_LICENSES)} licenses and ${String(COMPLIANCE_USAGE)} usage records…\n`,
  );
  const sqlite = openSqliteStore({ file: join(dataDir, 'entitle.db') });
  await sqlite.migrate();
  const seeded = await seed(sqlite, dataDir, {
    accounts: ACCOUNTS,
    licenses: LICENSES,
    complianceLicenses: COMPLIANCE_LICENSES,
    complianceUsage: COMPLIANCE_USAGE,
  });
  // Not `push(...seeded)`: a million arguments overflow the stack.
  for (const key of seeded) keys.push(key);
  await sqlite.close();
  const keysFile = join(dataDir, 'keys.txt');
  writeFileSync(keysFile, `${keys.join('\n')}\n`);
  // The benchmark measures the server at full load: the API-wide limiter would cut it short.
  const env = {
    ENTITLE_DATA_DIR: dataDir,
    ENTITLE_LOG_LEVEL: 'warn',
    ENTITLE_HOST: '127.0.0.1',
    ENTITLE_RATE_LIMIT: '0',
  };
  const token = mint(env, '--role', 'operator', '--accounts', '*');
  const instanceToken = mint(
    env,
    '--role',
    'instance',
    '--accounts',
    accountId(0),
    '--instance',
    INSTANCE_ID,
  );
  const applianceToken = mint(
    env,
    '--role',
    'instance',
    '--accounts',
    accountId(0),
    '--instance',
    NETPROFILER_INSTANCE_ID,
  );
  const serviceToken = mint(env, '--role', 'service', '--accounts', accountId(0));

  process.stdout.write(
    'measuring the machine: raw SQLite lookup, raw batched insert, Ed25519 verify…\n',
  );
  const rawLookup = baselineOps('sqlite-lookup', join(dataDir, 'entitle.db'), keysFile);
  const rawInsert = baselineOps('sqlite-insert', dataDir);
  const rawVerify = baselineOps('ed25519');
  const sdkVerify = sdkVerifyRatio();

  const basePort = await freePort();
  const baseline = start(['--import', 'tsx', 'bench/baseline-server.ts'], {
    PORT: String(basePort),
    DB: join(dataDir, 'entitle.db'),
    INGEST_DIR: dataDir,
  });
  children.push(baseline);
  const entitlePort = await freePort();
  // BENCH_PROFILE=<dir>: the server writes a V8 CPU profile there when it stops (bench/profile.ts reads it).
  const profile = process.env.BENCH_PROFILE;
  const profiling =
    profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profile)}`];
  const server = start([...SERVER_NODE_FLAGS, ...profiling, CLI, 'serve', '--no-jobs'], {
    ...START.env,
    ...env,
    ENTITLE_PORT: String(entitlePort),
  });
  children.push(server);
  const base = `http://127.0.0.1:${String(basePort)}`;
  const entitle = `http://127.0.0.1:${String(entitlePort)}`;
  await waitUntilReady(`${base}/ping`);
  await waitUntilReady(`${entitle}/readyz`);

  const auth = { authorization: `Bearer ${token}` };
  const asInstance = { authorization: `Bearer ${instanceToken}` };
  // The load must measure real verdicts: one sample first, and it must be VALID.
  const sample = await fetch(`${entitle}/v1/licenses/validate`, {
    method: 'POST',
    headers: { ...asInstance, 'content-type': 'application/json' },
    body: JSON.stringify({ key: keys[0] ?? '', product: 'bench' }),
  });
  const verdict = (await sample.json()) as { code?: string };
  if (verdict.code !== 'VALID')
    throw new Error(`validate sample answered ${JSON.stringify(verdict)}`);

  const listOf = (account: string) =>
    `${entitle}/v1/licenses?filter=${encodeURIComponent(`accountId eq '${account}' and state eq 'active'`)}&orderBy=${encodeURIComponent('expiresAt desc')}&limit=100`;
  const bigPages = await pagesOf(listOf(accountId(0)), auth, 20);
  const smallPages = await pagesOf(listOf(accountId(1)), auth, 20);

  const figures: (Figure | null)[] = [];
  const bare = await load('baseline: bare Fastify route', {
    url: `${base}/ping`,
    server: baseline,
  });
  figures.push(bare);
  // The floor of a validation on this machine: a POST parsed and one raw read, nothing else.
  const lookupFloor = await load('validate floor: bare Fastify POST + one raw SQLite read by key', {
    url: `${base}/lookup`,
    method: 'POST',
    server: baseline,
    vary: { kind: 'key-body', keysFile, field: 'key' },
  });
  figures.push(lookupFloor);
  figures.push(
    await load('GET /healthz (full plugin stack, no auth)', { url: `${entitle}/healthz`, server }),
  );
  figures.push(
    await load('GET /v1/accounts/{id} (JWT + primary-key read)', {
      url: `${entitle}/v1/accounts/${accountId(0)}`,
      headers: auth,
      server,
      vary: {
        kind: 'paths',
        paths: Array.from(
          { length: 1000 },
          (_, i) => `/v1/accounts/${accountId((i * 97) % ACCOUNTS)}`,
        ),
      },
    }),
  );
  const validate = await load(
    `POST /v1/licenses/validate (instance token, ${String(LICENSES)} licenses, random keys)`,
    {
      url: `${entitle}/v1/licenses/validate`,
      method: 'POST',
      headers: asInstance,
      server,
      vary: { kind: 'key-body', keysFile, field: 'key', extra: { product: 'bench' } },
    },
  );
  figures.push(validate);
  const rssAfterValidate = rssMb(server.pid);
  // The target's figure: the server idle (2 s, no requests) after the validate run.
  await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
  const idleRssAfterValidate = rssMb(server.pid);
  const hp = await load('HP GET /sdn/v2.0/licenses?key="…" (same keys)', {
    url: `${entitle}/sdn/v2.0/licenses`,
    headers: asInstance,
    server,
    vary: { kind: 'key-path', keysFile, prefix: '/sdn/v2.0/licenses?key=%22', suffix: '%22' },
  });
  figures.push(hp);
  const netprofiler = await load(
    'NetProfiler GET /api/mgmt.licenses/1.0/licenses (appliance list)',
    {
      url: `${entitle}/api/mgmt.licenses/1.0/licenses`,
      headers: { authorization: `Bearer ${applianceToken}` },
      server,
    },
  );
  figures.push(netprofiler);
  const usage = await load(
    `POST /v1/usage (${String(USAGE_BATCH)} records per request, idempotency ids)`,
    {
      url: `${entitle}/v1/usage`,
      method: 'POST',
      headers: { authorization: `Bearer ${serviceToken}` },
      server,
      connections: 4,
      vary: USAGE_BATCHES,
    },
  );
  figures.push(usage);
  // The floor of ingestion on this machine: the same batches posted, parsed and inserted raw.
  const usageFloor = await load(
    'usage floor: bare Fastify POST of the same batches + raw batched insert',
    {
      url: `${base}/ingest`,
      method: 'POST',
      server: baseline,
      connections: 4,
      vary: USAGE_BATCHES,
    },
  );
  figures.push(usageFloor);
  const compliance = await load(
    `GET /v1/accounts/{id}/compliance (${String(COMPLIANCE_LICENSES)} licenses, ${String(COMPLIANCE_USAGE)} usage records)`,
    {
      url: `${entitle}/v1/accounts/${accountId(1)}/compliance`,
      headers: auth,
      connections: 4,
      server,
    },
  );
  figures.push(compliance);
  const listBig = await load(
    `GET /v1/licenses page of 100, filter+orderBy+continue (${String(LICENSES)} licenses)`,
    {
      url: `${entitle}/v1/licenses`,
      headers: auth,
      connections: 4,
      server,
      vary: { kind: 'paths', paths: bigPages },
    },
  );
  figures.push(listBig);
  const listSmall = await load(
    `GET /v1/licenses page of 100, filter+orderBy+continue (${String(COMPLIANCE_LICENSES)} licenses)`,
    {
      url: `${entitle}/v1/licenses`,
      headers: auth,
      connections: 4,
      server,
      vary: { kind: 'paths', paths: smallPages },
    },
  );
  figures.push(listSmall);
  await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
  // Idle again after every scenario (usage ingested, compliance cached, lists read): for the note.
  const idleRssAtEnd = rssMb(server.pid);
  const postgres = await postgresScenarios(validate, usage);
  figures.push(...postgres.figures);

  if (bare === null) throw new Error('no baseline figure');
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b === 0 ? null : Number((a / b).toFixed(3));
  const usageRecordsPerSecond = usage === null ? undefined : usage.requestsPerSecond * USAGE_BATCH;
  const atLeast = (name: string, value: number | null, bound: number): Target => ({
    name,
    value,
    target: `≥ ${String(bound)}`,
    met: value === null ? null : value >= bound,
  });
  const atMost = (name: string, value: number | null, bound: number): Target => ({
    name,
    value,
    target: `≤ ${String(bound)}`,
    met: value === null ? null : value <= bound,
  });
  // Not targets of the issue: figures read beside them (the floors, the memory at the end).
  const reference = (name: string, value: number | null): Target => ({
    name,
    value,
    target: '—',
    met: null,
  });
  const targets: Target[] = [
    atLeast(
      'validate throughput / bare route',
      ratio(validate?.requestsPerSecond, bare.requestsPerSecond),
      0.45,
    ),
    atMost('validate p99 / bare route p99', ratio(validate?.p99Ms, Math.max(bare.p99Ms, 1)), 2.5),
    // Not a target of the issue: how far validation is from the floor (a route that only reads).
    reference(
      '(reference) validate throughput / bare POST + raw read route',
      ratio(validate?.requestsPerSecond, lookupFloor?.requestsPerSecond),
    ),
    reference(
      '(reference) bare POST + raw read route / bare route',
      ratio(lookupFloor?.requestsPerSecond, bare.requestsPerSecond),
    ),
    atLeast(
      'HP ?key= / native validate',
      ratio(hp?.requestsPerSecond, validate?.requestsPerSecond),
      0.8,
    ),
    atLeast(
      'NetProfiler list / native validate',
      ratio(netprofiler?.requestsPerSecond, validate?.requestsPerSecond),
      0.8,
    ),
    atLeast('usage records/s / raw batched insert', ratio(usageRecordsPerSecond, rawInsert), 0.6),
    reference(
      '(reference) usage records/s / floor route records/s',
      ratio(usage?.requestsPerSecond, usageFloor?.requestsPerSecond),
    ),
    reference(
      '(reference) floor route records/s / raw batched insert',
      ratio(
        usageFloor === null ? undefined : usageFloor.requestsPerSecond * USAGE_BATCH,
        rawInsert,
      ),
    ),
    atMost('compliance summary p50 (ms)', compliance?.p50Ms ?? null, 50),
    atMost(
      'list p50 at 1M / p50 at 10k',
      ratio(listBig?.p50Ms, Math.max(listSmall?.p50Ms ?? 0, 1)),
      2,
    ),
    atLeast(
      'SDK offline verify / raw Ed25519 verify (distinct certificates, CPU time)',
      sdkVerify === null ? null : Number(sdkVerify.distinctRatio.toFixed(3)),
      0.9,
    ),
    atMost('idle RSS after the validate run (MB)', idleRssAfterValidate, 150),
    reference('(reference) idle RSS after every scenario (MB)', idleRssAtEnd),
  ];

  const rows = figures
    .filter((f): f is Figure => f !== null)
    .map((f) => ({
      ...f,
      throughputRatio: ratio(f.requestsPerSecond, bare.requestsPerSecond),
      p99Ratio: ratio(f.p99Ms, Math.max(bare.p99Ms, 1)),
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
    machineBaselines: {
      sqliteLookupsPerSecond: rawLookup,
      sqliteInsertRowsPerSecond: rawInsert,
      ed25519VerifiesPerSecond: rawVerify,
      sdkVerify,
    },
    rssMb: {
      underValidateLoad: rssAfterValidate,
      idleAfterValidate: idleRssAfterValidate,
      idleAtEnd: idleRssAtEnd,
    },
    server: { nodeFlags: SERVER_NODE_FLAGS, env: START.env },
    postgres: {
      licenses: PG_LICENSES,
      validateVsSqlite: postgres.validate.map((f) =>
        ratio(f?.requestsPerSecond, validate?.requestsPerSecond),
      ),
      usageVsSqlite: postgres.usage.map((f) =>
        ratio(f?.requestsPerSecond, usage?.requestsPerSecond),
      ),
    },
    results: rows,
    targets,
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
      'server CPU µs/req': r.serverCpuUs,
      'errors+non2xx': r.errors + r.non2xx,
    })),
  );
  process.stdout.write(
    `machine: ${String(rawLookup)} raw SQLite lookups/s, ${String(rawInsert)} raw inserted rows/s, ${String(rawVerify)} Ed25519 verifies/s; usage ingest ${String(usageRecordsPerSecond ?? 0)} records/s\n`,
  );
  console.table(
    targets.map((t) => ({
      target: t.name,
      measured: t.value,
      wanted: t.target,
      met: t.met === null ? 'n/a' : t.met ? 'yes' : 'NO',
    })),
  );
  const failed = rows.filter((r) => r.errors + r.non2xx > 0);
  if (failed.length > 0) {
    process.stderr.write(`scenarios with errors: ${failed.map((r) => r.scenario).join(', ')}\n`);
    process.exitCode = 1;
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  // BENCH_KEEP_DATA=1 keeps the seeded data dir (its path is printed) for profiling by hand.
  if (process.env.BENCH_KEEP_DATA === '1') process.stdout.write(`data kept in ${dataDir}\n`);
  else rmSync(dataDir, { recursive: true, force: true });
}
