import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, mintToken, startBuiltServer, type Child } from '../helpers/built-server.js';

// SQLite only (see SQLITE_ONLY in vitest.config.ts): it kills a server on a WAL file.
/**
 * Crash durability: the built server, a real process on a real file, is killed with SIGKILL
 * while usage batches and activations are in flight, then started again on the same data dir.
 * Whatever a client was acknowledged (a 2xx) must be there after the restart; retrying whatever
 * was not — and re-sending some of what was — must count nothing twice; and the database must
 * open cleanly every time and pass `PRAGMA integrity_check` at the end.
 *
 * The kill delays, the record values, the request mix and the re-sent samples come from a
 * seeded PRNG: the seed is printed, and `CRASH_SEED=<seed> npx vitest run
 * test/reliability/crash.test.ts` replays the same kill delays and the same sequence of batches
 * and activations (how far a round gets before the kill, and so which requests are cut short,
 * still depends on the timing of a real process). `npm test` builds first; run `npm run build`
 * before running this file alone.
 */

const SEED = process.env.CRASH_SEED !== undefined ? Number(process.env.CRASH_SEED) : randomSeed();
const ROUNDS = 6;
const WORKERS = 8;
const BATCH = 50;
/** One batch in LARGE_SHARE is this big: a longer transaction, for the kill to land inside one. */
const LARGE_BATCH = 2000;
const LARGE_SHARE = 0.1;
const INSTANCES = 300;
const SEAT_LIMIT = 500;
const KILL_AFTER_MS: [number, number] = [50, 400];
/** Acknowledged batches and activations re-sent after each restart (a sample of the last round). */
const RESEND = 10;
const REQUEST_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 10_000;

const dataDir = mkdtempSync(join(tmpdir(), 'entitle-crash-'));
const env = {
  ...process.env,
  ENTITLE_DATA_DIR: dataDir,
  ENTITLE_HOST: '127.0.0.1',
  ENTITLE_PORT: '0',
};

/** Every usage record has the same `at`, an hour ago: one UTC day to read back. */
const AT = new Date(Date.now() - 3_600_000);
const DAY = AT.toISOString().slice(0, 10);
const NEXT_DAY = new Date(Date.parse(DAY) + 86_400_000).toISOString().slice(0, 10);

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/** mulberry32: small, fast and good enough to make a run reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
/** Two streams: the kill delays replay exactly; the rest depends on how many requests a round got. */
const killPlan = prng(SEED);
const random = prng(SEED ^ 0x9e3779b9);
const between = (low: number, high: number, draw = random) =>
  low + Math.floor(draw() * (high - low + 1));

function sample<T>(items: T[], count: number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    picked.push(...pool.splice(Math.floor(random() * pool.length), 1));
  }
  return picked;
}

/** Rejects after `ms` with `what` in the message, so no wait in this file can hang. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms: ${what} (seed ${SEED})`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

// ---------------------------------------------------------------------------------------------
// The server process

interface Server {
  child: Child;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

const children = new Set<Child>();

/** Starts `entitle serve` and resolves once it logs that it is ready. */
async function serve(): Promise<Server> {
  const server = await startBuiltServer(env, {
    timeoutMs: START_TIMEOUT_MS,
    track: (child) => {
      children.add(child);
      child.once('exit', () => children.delete(child));
    },
  });
  stats.startupMs.push(server.startupMs);
  return server;
}

async function kill(server: Server): Promise<void> {
  server.child.kill('SIGKILL');
  const { signal } = await within(EXIT_TIMEOUT_MS, 'the killed server to exit', server.exited);
  expect(signal, server.output()).toBe('SIGKILL');
  // The file as the kill left it (its WAL not checkpointed): read-only, so the next start
  // recovers it itself.
  expect(integrity(), `seed ${SEED}: integrity after kill ${stats.kills + 1}`).toBe('ok');
}

function integrity(): unknown {
  const db = new Database(join(dataDir, 'entitle.db'), { readonly: true, fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true });
  } finally {
    db.close();
  }
}

async function stop(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  const { code } = await within(EXIT_TIMEOUT_MS, 'the server to stop', server.exited);
  expect(code, server.output()).toBe(0);
}

// ---------------------------------------------------------------------------------------------
// HTTP

let token = '';

interface Answer {
  status: number;
  body: unknown;
}

/**
 * One request. `onStatus` hears the status as soon as it arrives: a 2xx whose body is then cut
 * off by the kill was still an acknowledgement.
 */
async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  onStatus?: (status: number) => void,
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  onStatus?.(response.status);
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function ok<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await call(url, method, path, body);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
  return answer.body as T;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// What was sent, and what the client was told

interface UsageRecord {
  id: string;
  account: string;
  product: string;
  metric: number;
  kind: 'delta';
  value: number;
  at: string;
}
interface UsageResult {
  accepted: number;
  duplicates: number;
  rejected: unknown[];
}
interface Job {
  kind: 'usage' | 'activation';
  round: number;
  /** A 2xx was received for it (in the round it was sent, or on a retry). */
  acknowledged: boolean;
  /** It was sent and no answer came back: the server died first. */
  lost: boolean;
}
interface UsageJob extends Job {
  kind: 'usage';
  records: UsageRecord[];
}
interface ActivationJob extends Job {
  kind: 'activation';
  instance: string;
}

const usage: UsageJob[] = [];
const activations: ActivationJob[] = [];
const freeInstances: string[] = [];
let license = '';
let batchNo = 0;

const stats = {
  rounds: 0,
  kills: 0,
  requests: 0,
  acknowledged: 0,
  lost: 0,
  inFlightAtKill: [] as number[],
  lostBatchesCommitted: 0,
  lostBatchesNotCommitted: 0,
  lostActivationsCommitted: 0,
  lostActivationsNotCommitted: 0,
  resentAcknowledged: 0,
  killDelays: [] as number[],
  startupMs: [] as number[],
  /** Wall time of each phase, ms: setup, then per round restart + checks + retries, crash. */
  phaseMs: [] as number[],
};

function newBatch(round: number): UsageJob {
  const batch = batchNo++;
  const size = random() < LARGE_SHARE ? LARGE_BATCH : BATCH;
  const records = Array.from({ length: size }, (_, i) => ({
    id: `r${round}-b${batch}-${i}`,
    account: 'acme',
    product: 'cvo',
    metric: 1,
    kind: 'delta' as const,
    value: between(1, 9),
    at: AT.toISOString(),
  }));
  const job: UsageJob = { kind: 'usage', round, records, acknowledged: false, lost: false };
  usage.push(job);
  return job;
}

function newActivation(round: number): ActivationJob | undefined {
  const instance = freeInstances.shift();
  if (instance === undefined) return undefined;
  const job: ActivationJob = {
    kind: 'activation',
    round,
    instance,
    acknowledged: false,
    lost: false,
  };
  activations.push(job);
  return job;
}

function send(
  url: string,
  job: UsageJob | ActivationJob,
  onStatus?: (status: number) => void,
): Promise<Answer> {
  return job.kind === 'usage'
    ? call(url, 'POST', '/v1/usage', { records: job.records }, onStatus)
    : call(url, 'POST', `/v1/licenses/${license}/activate`, { instance: job.instance }, onStatus);
}

const count = (jobs: UsageJob[]) => jobs.reduce((n, job) => n + job.records.length, 0);
const sum = (jobs: UsageJob[]) =>
  jobs.reduce((n, job) => n + job.records.reduce((m, r) => m + r.value, 0), 0);

// ---------------------------------------------------------------------------------------------
// Reading back

interface Stored {
  deltas: number;
  records: number;
  seatsUsed: number;
  live: string[];
}

async function stored(url: string): Promise<Stored> {
  const report = await ok<{
    consumption: { deltas: number; used: number };
    series: { period: string; deltas: number; records: number }[];
  }>(url, 'GET', `/v1/accounts/acme/usage?product=cvo&metric=1&from=${DAY}&to=${NEXT_DAY}`);
  expect(report.series).toHaveLength(1);
  expect(report.series[0]?.deltas).toBe(report.consumption.deltas);
  const read = await ok<{ seatsUsed: number }>(url, 'GET', `/v1/licenses/${license}`);
  const list = await ok<{ items: { instanceId: string; deactivatedAt: string | null }[] }>(
    url,
    'GET',
    `/v1/licenses/${license}/activations`,
  );
  const live = list.items.filter((a) => a.deactivatedAt === null).map((a) => a.instanceId);
  return {
    deltas: report.consumption.deltas,
    records: report.series[0]?.records ?? -1,
    seatsUsed: read.seatsUsed,
    live,
  };
}

/**
 * Right after a restart: everything acknowledged is stored (lower bounds, and every acknowledged
 * instance holds a seat); nothing beyond what was sent is (upper bounds); the seat count is the
 * number of live activations, each instance once.
 */
async function verifyAcknowledged(url: string): Promise<void> {
  const now = await stored(url);
  const acked = usage.filter((j) => j.acknowledged);
  const context = `seed ${SEED}, round ${stats.rounds}`;
  expect(now.deltas, context).toBeGreaterThanOrEqual(sum(acked));
  expect(now.deltas, context).toBeLessThanOrEqual(sum(usage));
  expect(now.records, context).toBeGreaterThanOrEqual(count(acked));
  expect(now.records, context).toBeLessThanOrEqual(count(usage));

  expect(new Set(now.live).size, `${context}: an instance holds two seats`).toBe(now.live.length);
  expect(now.seatsUsed, context).toBe(now.live.length);
  const live = new Set(now.live);
  const missing = activations.filter((j) => j.acknowledged && !live.has(j.instance));
  expect(
    missing.map((j) => j.instance),
    `${context}: acknowledged activations lost`,
  ).toEqual([]);
  expect(now.seatsUsed, context).toBeLessThanOrEqual(activations.length);
  const sent = new Set(activations.map((j) => j.instance));
  expect(
    now.live.filter((i) => !sent.has(i)),
    context,
  ).toEqual([]);

  // Per record and per instance: acknowledged work sent again is all duplicates / already active.
  const lastRound = stats.rounds - 1;
  for (const job of sample(
    usage.filter((j) => j.acknowledged && j.round === lastRound),
    RESEND,
  )) {
    const again = await ok<UsageResult>(url, 'POST', '/v1/usage', { records: job.records });
    expect(again, `${context}: acknowledged batch ${job.records[0]?.id ?? ''}`).toEqual({
      accepted: 0,
      duplicates: job.records.length,
      rejected: [],
    });
    stats.resentAcknowledged++;
  }
  for (const job of sample(
    activations.filter((j) => j.acknowledged && j.round === lastRound),
    RESEND,
  )) {
    const again = await send(url, job);
    expect(again.status, `${context}: acknowledged activation of ${job.instance}`).toBe(200);
    stats.resentAcknowledged++;
  }
}

/** Sends again everything not acknowledged; a lost batch was stored whole or not at all. */
async function retryUnacknowledged(url: string): Promise<void> {
  const pending = [...usage, ...activations].filter((j) => !j.acknowledged);
  await pool(pending, WORKERS, async (job) => {
    const answer = await send(url, job);
    const context = `seed ${SEED}: retry of ${job.kind === 'usage' ? (job.records[0]?.id ?? '') : job.instance}: ${JSON.stringify(answer.body)}`;
    if (job.kind === 'usage') {
      expect(answer.status, context).toBe(200);
      const result = answer.body as UsageResult;
      expect(result.rejected, context).toEqual([]);
      expect(result.accepted + result.duplicates, context).toBe(job.records.length);
      // One transaction per batch: never half of it.
      expect([0, job.records.length], context).toContain(result.accepted);
      if (job.lost) {
        if (result.accepted === 0) stats.lostBatchesCommitted++;
        else stats.lostBatchesNotCommitted++;
      }
    } else {
      expect([200, 201], context).toContain(answer.status);
      if (job.lost) {
        if (answer.status === 200) stats.lostActivationsCommitted++;
        else stats.lostActivationsNotCommitted++;
      }
    }
    job.acknowledged = true;
  });
}

/** After the retries: exactly what was sent, once. */
async function verifyExact(url: string): Promise<void> {
  const now = await stored(url);
  const context = `seed ${SEED}, round ${stats.rounds}`;
  expect(usage.every((j) => j.acknowledged)).toBe(true);
  expect(new Set(usage.flatMap((j) => j.records.map((r) => r.id))).size).toBe(count(usage));
  expect(now.deltas, context).toBe(sum(usage));
  expect(now.records, context).toBe(count(usage));
  expect(now.seatsUsed, context).toBe(activations.length);
  expect(new Set(now.live), context).toEqual(new Set(activations.map((j) => j.instance)));
  expect(now.live, context).toHaveLength(activations.length);
}

/**
 * Workers send fresh batches and activations back to back until the server is killed, at a
 * random moment; then every request either got its answer or failed, and is marked so.
 */
async function crashRound(server: Server, round: number): Promise<void> {
  let killed = false;
  // Read through a call: the flag changes while a request is awaited.
  const wasKilled = () => killed;
  let inFlight = 0;
  const worker = async () => {
    while (!killed) {
      const job = random() < 0.5 ? newActivation(round) : undefined;
      const next = job ?? newBatch(round);
      stats.requests++;
      inFlight++;
      let status: number | undefined;
      let answer: Answer | undefined;
      try {
        answer = await send(server.url, next, (s) => {
          status = s;
        });
      } catch (error) {
        // Only the kill may cut a request short (then it is retried after the restart).
        if (!wasKilled()) throw error;
      } finally {
        inFlight--;
      }
      // Any 2xx the client receives, even one read after the kill signal, was committed.
      if (status !== undefined) {
        expect(status, JSON.stringify(answer?.body)).toBeLessThan(300);
        // Fresh work: every record new, every instance taking a seat (when the body came).
        if (answer !== undefined) {
          if (next.kind === 'usage') {
            expect(answer.body).toEqual({
              accepted: next.records.length,
              duplicates: 0,
              rejected: [],
            });
          } else expect(answer.status).toBe(201);
        }
        next.acknowledged = true;
        stats.acknowledged++;
      } else {
        next.lost = true;
        stats.lost++;
      }
    }
  };
  const delay = between(...KILL_AFTER_MS, killPlan);
  stats.killDelays.push(delay);
  const workers = Promise.all(Array.from({ length: WORKERS }, worker));
  // A worker failing before the kill (an unexpected status) ends the round at once.
  const early = await within(
    delay + REQUEST_TIMEOUT_MS,
    'the round',
    Promise.race([
      new Promise<'timer'>((done) => {
        setTimeout(() => {
          done('timer');
        }, delay);
      }),
      workers.then(() => 'workers' as const),
    ]),
  );
  killed = true;
  stats.inFlightAtKill.push(inFlight);
  await kill(server);
  stats.kills++;
  await within(REQUEST_TIMEOUT_MS * 2, 'the requests in flight to fail', workers);
  expect(early).toBe('timer');
}

// ---------------------------------------------------------------------------------------------

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  console.info(
    `crash durability: seed ${SEED} (replay: CRASH_SEED=${SEED} npx vitest run test/reliability/crash.test.ts)`,
  );
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('crash durability (SIGKILL mid-write)', () => {
  it('keeps every acknowledged usage record and activation, and counts retries once', async () => {
    let phase = Date.now();
    const lap = () => {
      stats.phaseMs.push(Date.now() - phase);
      phase = Date.now();
    };
    // Setup on a clean server: an account, a product with a metric, a license, the instances.
    let server = await serve();
    token = mintToken(env, '--role', 'operator', '--accounts', '*', '--ttl', '1h');
    await ok(server.url, 'POST', '/v1/accounts', { id: 'acme', name: 'Acme Corp' });
    await ok(server.url, 'POST', '/v1/products', {
      slug: 'cvo',
      name: 'Cloud Volumes ONTAP',
      metrics: [{ id: 1, name: 'Jobs', unit: 'units' }],
    });
    license = (
      await ok<{ id: string }>(server.url, 'POST', '/v1/licenses', {
        accountId: 'acme',
        product: 'cvo',
        seatLimit: SEAT_LIMIT,
      })
    ).id;
    await pool(
      Array.from({ length: INSTANCES }, (_, i) => i),
      WORKERS,
      async (i) => {
        const instance = await ok<{ id: string }>(server.url, 'POST', '/v1/instances', {
          accountId: 'acme',
          name: `node-${i}`,
        });
        freeInstances.push(instance.id);
      },
    );

    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) server = await serve();
      stats.rounds = round;
      if (round > 0) {
        await verifyAcknowledged(server.url);
        await retryUnacknowledged(server.url);
        await verifyExact(server.url);
      }
      lap();
      await crashRound(server, round);
      lap();
    }

    // The last restart: the final check of exact totals, then a clean stop.
    server = await serve();
    stats.rounds = ROUNDS;
    await verifyAcknowledged(server.url);
    await retryUnacknowledged(server.url);
    await verifyExact(server.url);
    await stop(server);
    lap();

    // Every round killed the server with requests in flight, and something was lost.
    expect(stats.kills).toBe(ROUNDS);
    expect(stats.inFlightAtKill.every((n) => n > 0)).toBe(true);
    expect(stats.lost).toBeGreaterThan(0);
    console.info(
      `crash durability: seed ${SEED}, ${JSON.stringify({
        ...stats,
        batches: usage.length,
        records: count(usage),
        activations: activations.length,
      })}`,
    );
  }, 90_000);

  it('leaves a database that passes PRAGMA integrity_check, raw records and aggregates agreeing', () => {
    expect(integrity()).toBe('ok');
    const db = new Database(join(dataDir, 'entitle.db'), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const raw = db
        .prepare(
          "select count(*) as records, coalesce(sum(value), 0) as total from usage_records where account_id = 'acme'",
        )
        .get() as { records: number; total: number };
      const daily = db
        .prepare(
          "select coalesce(sum(records), 0) as records, coalesce(sum(delta_sum), 0) as total from usage_daily where account_id = 'acme'",
        )
        .get() as { records: number; total: number };
      expect(raw).toEqual({ records: count(usage), total: sum(usage) });
      expect(daily).toEqual(raw);
      const live = db
        .prepare(
          'select count(*) as live, count(distinct instance_id) as instances from activations where license_id = ? and deactivated_at is null',
        )
        .get(license) as { live: number; instances: number };
      expect(live).toEqual({ live: activations.length, instances: activations.length });
    } finally {
      db.close();
    }
  });
});
