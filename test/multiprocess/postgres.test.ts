import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { systemPrincipal } from '../../src/domain/principal.js';
import { createServices } from '../../src/services/index.js';
import { loadTokenKeys, readOrCreateSecret } from '../../src/services/token-keys.js';
import { openTestStore, type TestStore } from '../helpers/harness.js';

/**
 * Several processes, one PostgreSQL database: two real `entitle serve` processes (the built
 * server, dist/) on one database, each on its own port, with the scheduled jobs running in both.
 * What one process does, the other must respect: seat limits, floating leases, per-license rate
 * limits, usage idempotency, revocations, and job passes. Runs in the `postgres` project only
 * (vitest.config.ts).
 */

const MAIN = resolve('dist/cli/main.js');
const DAY_MS = 86_400_000;

interface Server {
  port: number;
  base: string;
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Every JSON log line the process wrote. */
  logs: Record<string, unknown>[];
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') done(address.port);
        else fail(new Error('no port'));
      });
    });
  });
}

async function startServer(dir: string, databaseUrl: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data-dir',
      dir,
      '--database-url',
      databaseUrl,
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } },
  );
  const logs: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a log line (the bootstrap banner): ignored.
      }
    }
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const base = `http://127.0.0.1:${String(port)}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  return { port, base, child, logs };
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((done) => server.child.once('exit', done));
  server.child.kill('SIGTERM');
  await exited;
}

let dir: string;
let db: TestStore;
let servers: Server[] = [];
let operator: string;
let service: string;
let licenseId: string;
let licenseKey: string;
let expiringId: string;
let instanceIds: string[];

async function call(
  server: Server,
  method: string,
  path: string,
  body?: unknown,
  token = operator,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const serverAt = (i: number): Server => {
  const server = servers[i % servers.length];
  if (server === undefined) throw new Error('no server');
  return server;
};

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  dir = mkdtempSync(join(tmpdir(), 'entitle-multi-'));
  db = await openTestStore(dir);
  // Seeded in-process on the same database, with the secrets the servers will read from `dir`.
  const keys = loadTokenKeys({
    issuer: 'entitle',
    audience: 'entitle',
    secretFile: join(dir, 'token-secret'),
  });
  const services = createServices(db.store, keys, {
    keySecret: readOrCreateSecret(join(dir, 'license-key-secret')),
  });
  const ctx = { principal: systemPrincipal, requestId: null, clock: systemClock };
  await services.accounts.create(ctx, { id: 'acme', name: 'Acme' });
  operator = (await services.tokens.issue(ctx, { subject: 'op', role: 'operator', accounts: '*' }))
    .token;
  service = (
    await services.tokens.issue(ctx, { subject: 'svc', role: 'service', accounts: ['acme'] })
  ).token;
  await services.products.create(ctx, {
    slug: 'ctl',
    name: 'Controller',
    metrics: [{ id: 1, name: 'Nodes', unit: 'nodes' }],
  });
  const license = await services.licenses.issue(ctx, {
    accountId: 'acme',
    product: 'ctl',
    seatLimit: 10,
  });
  licenseId = license.id;
  licenseKey = license.key;
  // Expired before either process starts: the first pass of the expiry job records it, once.
  const expiring = await services.licenses.issue(ctx, {
    accountId: 'acme',
    product: 'ctl',
    expiresAt: new Date(Date.now() - DAY_MS).toISOString(),
  });
  expiringId = expiring.id;
  instanceIds = [];
  for (let i = 0; i < 200; i++) {
    instanceIds.push((await services.instances.create(ctx, { accountId: 'acme' })).id);
  }
  await db.store.close();
  servers = await Promise.all([startServer(dir, db.url), startServer(dir, db.url)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map(stopServer));
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('two processes on one PostgreSQL database', () => {
  it('200 concurrent activations of a 10-seat license spread over both: exactly 10', async () => {
    const responses = await Promise.all(
      instanceIds.map((instance, i) =>
        call(serverAt(i), 'POST', `/v1/licenses/${licenseId}/activate`, { instance }),
      ),
    );
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 409);
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(190);
    expect(new Set(refused.map((r) => r.body.type))).toEqual(
      new Set(['/problems/seat-limit-reached']),
    );
    for (const server of servers) {
      const stored = await call(server, 'GET', `/v1/licenses/${licenseId}`);
      expect(stored.body.seatsUsed).toBe(10);
    }
  }, 60_000);

  it('counts a usage batch resent to the other process once', async () => {
    const now = Date.now();
    const records = [0, 1, 2].map((i) => ({
      id: `batch-${String(i)}`,
      product: 'ctl',
      metric: 1,
      kind: 'delta',
      value: 5,
      at: new Date(now - 60_000 * (i + 1)).toISOString(),
    }));
    const first = await call(serverAt(0), 'POST', '/v1/usage', { records }, service);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 3, duplicates: 0 });
    const resent = await call(serverAt(1), 'POST', '/v1/usage', { records }, service);
    expect(resent.body).toMatchObject({ accepted: 0, duplicates: 3 });
    // Sent to both at once: whichever commits first stores them, the other acknowledges them.
    const racing = records.map((r) => ({ ...r, id: `race-${r.id}` }));
    const both = await Promise.all(
      servers.map((server) => call(server, 'POST', '/v1/usage', { records: racing }, service)),
    );
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(both.reduce((sum, r) => sum + Number(r.body.accepted), 0)).toBe(3);
    expect(both.reduce((sum, r) => sum + Number(r.body.duplicates), 0)).toBe(3);
    const rows = await readRows<{ n: number }>(
      `select count(*) as n from usage_records where account_id = 'acme'`,
    );
    expect(rows[0]?.n).toBe(6);
    const daily = await readRows<{ total: number }>(
      `select sum(delta_sum) as total from usage_daily where account_id = 'acme'`,
    );
    expect(daily[0]?.total).toBe(30);
  }, 30_000);

  it('100 instances racing across both for 5 floating leases: exactly 5', async () => {
    const policy = await call(serverAt(0), 'POST', '/v1/policies', {
      product: 'ctl',
      name: 'floating five',
      floating: true,
      seatLimit: 5,
      leaseSeconds: 600,
    });
    expect(policy.status).toBe(201);
    const issued = await call(serverAt(1), 'POST', '/v1/licenses', {
      accountId: 'acme',
      policy: policy.body.id,
    });
    expect(issued.status).toBe(201);
    const floatingId = String(issued.body.id);
    const answers = await Promise.all(
      instanceIds
        .slice(0, 100)
        .map((instance, i) =>
          call(serverAt(i), 'POST', `/v1/licenses/${floatingId}/leases`, { instance }),
        ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(95);
    const rows = await readRows<{ n: number }>(
      `select count(*) as n from leases where license_id = '${floatingId}'`,
    );
    expect(rows[0]?.n).toBe(5);
  }, 60_000);

  it("a policy's activation limit is one count for both processes", async () => {
    // The limit counts per clock hour: start well inside one, so the race cannot straddle two.
    const intoHour = Date.now() % 3_600_000;
    if (intoHour > 3_590_000) await new Promise((done) => setTimeout(done, 3_600_500 - intoHour));
    const policy = await call(serverAt(0), 'POST', '/v1/policies', {
      product: 'ctl',
      name: 'ten an hour',
      seatLimit: 100,
      rateLimits: { activationsPerHour: 10 },
    });
    expect(policy.status).toBe(201);
    const issued = await call(serverAt(1), 'POST', '/v1/licenses', {
      accountId: 'acme',
      policy: policy.body.id,
    });
    expect(issued.status).toBe(201);
    const answers = await Promise.all(
      instanceIds.slice(100, 140).map((instance, i) =>
        call(serverAt(i), 'POST', `/v1/licenses/${String(issued.body.id)}/activate`, {
          instance,
        }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(10);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited).toHaveLength(30);
    expect(new Set(limited.map((a) => a.body.type))).toEqual(new Set(['/problems/rate-limited']));
    const stored = await call(serverAt(0), 'GET', `/v1/licenses/${String(issued.body.id)}`);
    expect(stored.body.seatsUsed).toBe(10);
  }, 60_000);

  it('a revoke through one process is refused by the other at once', async () => {
    const before = await call(serverAt(1), 'POST', '/v1/licenses/validate', { key: licenseKey });
    expect(before.status).toBe(200);
    expect(before.body.code).not.toBe('REVOKED');
    const revoked = await call(serverAt(0), 'POST', `/v1/licenses/${licenseId}/revoke`);
    expect(revoked.status).toBe(200);
    const after = await call(serverAt(1), 'POST', '/v1/licenses/validate', { key: licenseKey });
    expect(after.body).toMatchObject({ valid: false, code: 'REVOKED' });
    const activation = await call(serverAt(1), 'POST', `/v1/licenses/${licenseId}/activate`, {
      instance: instanceIds[199],
    });
    expect(activation.status).toBe(409);
  }, 30_000);

  it('a job pass due once runs once, in one of the two processes', async () => {
    // Both processes tick every second from their start; wait until the expiry was recorded.
    const deadline = Date.now() + 20_000;
    let expired: { n: number }[] = [];
    while (Date.now() < deadline) {
      expired = await readRows<{ n: number }>(
        `select count(*) as n from events where type = 'license.expired' and resource_id = '${expiringId}'`,
      );
      if (expired[0]?.n === 1) break;
      await new Promise((done) => setTimeout(done, 200));
    }
    // Give the other process time for a second (wrong) pass before counting.
    await new Promise((done) => setTimeout(done, 2_500));
    expired = await readRows<{ n: number }>(
      `select count(*) as n from events where type = 'license.expired' and resource_id = '${expiringId}'`,
    );
    expect(expired[0]?.n).toBe(1);
    const passes = servers.map(
      (server) =>
        server.logs.filter((line) => line.job === 'licenses.expiry' && line.msg === 'job pass done')
          .length,
    );
    expect(passes.reduce((a, b) => a + b, 0)).toBe(1);
    const runs = await readRows<{ name: string }>(`select name from job_runs`);
    expect(runs.map((r) => r.name)).toContain('licenses.expiry');
  }, 30_000);
});

/** Reads the shared database directly, as a third client. */
async function readRows<Row>(query: string): Promise<Row[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const result = await client.query(query);
    return result.rows.map((row: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [
          k,
          typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v,
        ]),
      ),
    ) as Row[];
  } finally {
    await client.end();
  }
}
