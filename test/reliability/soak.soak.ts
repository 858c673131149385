import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, mintToken, startBuiltServer, type Child } from '../helpers/built-server.js';

/**
 * Load soak (`npm run test:soak`, not part of `npm test`): the built server, a real process on a
 * real SQLite file, under mixed traffic — validations, license reads and lists, usage batches,
 * compliance summaries — first at full speed for a few seconds to measure its capacity, then at
 * 70 % of that rate for SOAK_SECONDS (default 480: the whole run stays under 10 minutes). Every
 * 10 s the server's RSS and the window's p99 are sampled. It passes when no request failed and
 * RSS, once warmed up, grew by at most 10 %. The samples go to test-results/soak.json.
 */

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? '480');
const CAPACITY_SECONDS = 8;
const SAMPLE_MS = 10_000;
/** Samples in the first minute (or the first fifth of a short run) are the warm-up. */
const WARM_UP_SAMPLES = Math.max(1, Math.min(6, Math.floor(SOAK_SECONDS / 10 / 5)));
const LOAD_SHARE = 0.7;
const CONNECTIONS = 20;
const LICENSES = 300;
const INSTANCES = 20;
const USAGE_BATCH = 20;

const dataDir = mkdtempSync(join(tmpdir(), 'entitle-soak-'));
const env = {
  ...process.env,
  ENTITLE_DATA_DIR: dataDir,
  ENTITLE_HOST: '127.0.0.1',
  ENTITLE_PORT: '0',
  ENTITLE_LOG_LEVEL: 'warn',
};
let server: Child | undefined;

afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function rssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN') / 1024);
}

const mint = (...args: string[]) => mintToken(env, '--ttl', '2h', ...args);

async function ok<T>(url: string, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${String(response.status)} ${text}`);
  return JSON.parse(text) as T;
}

interface Seeded {
  operator: string;
  instanceTokens: string[];
  service: string;
  keys: string[];
  licenseIds: string[];
}

/** An account, a metered product, licenses activated on instances, and the tokens to use them. */
async function seed(url: string): Promise<Seeded> {
  const operator = mint('--role', 'operator', '--accounts', '*');
  await ok(url, operator, 'POST', '/v1/accounts', { id: 'acme', name: 'Acme Corp' });
  await ok(url, operator, 'POST', '/v1/products', {
    slug: 'cvo',
    name: 'Cloud Volumes ONTAP',
    features: [{ id: 'tiering', name: 'Tiering' }],
    metrics: [{ id: 1, name: 'Capacity', unit: 'TiB' }],
  });
  const instances: string[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const instance = await ok<{ id: string }>(url, operator, 'POST', '/v1/instances', {
      accountId: 'acme',
      name: `node-${String(i)}`,
    });
    instances.push(instance.id);
  }
  const keys: string[] = [];
  const licenseIds: string[] = [];
  for (let i = 0; i < LICENSES; i++) {
    const license = await ok<{ id: string; key: string }>(url, operator, 'POST', '/v1/licenses', {
      accountId: 'acme',
      product: 'cvo',
      features: ['tiering'],
      metricId: 1,
      quantity: 10,
      seatLimit: INSTANCES,
    });
    keys.push(license.key);
    licenseIds.push(license.id);
    const instance = instances[i % INSTANCES] ?? '';
    await ok(url, operator, 'POST', `/v1/licenses/${license.id}/activate`, { instance });
  }
  const instanceTokens = instances.map((instance) =>
    mint('--role', 'instance', '--accounts', 'acme', '--instance', instance),
  );
  const service = mint('--role', 'service', '--accounts', 'acme');
  return { operator, instanceTokens, service, keys, licenseIds };
}

interface Mixed {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** One request of the mix, drawn at random with these weights. */
function mixedRequest(seeded: Seeded, usageNo: { next: number }): Mixed {
  const draw = Math.random();
  const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T;
  const json = { 'content-type': 'application/json' };
  const asOperator = { authorization: `Bearer ${seeded.operator}` };
  if (draw < 0.6) {
    const i = Math.floor(Math.random() * seeded.keys.length);
    return {
      method: 'POST',
      path: '/v1/licenses/validate',
      headers: {
        ...json,
        authorization: `Bearer ${seeded.instanceTokens[i % INSTANCES] ?? ''}`,
      },
      body: JSON.stringify({ key: seeded.keys[i], product: 'cvo', feature: 'tiering' }),
    };
  }
  if (draw < 0.72) {
    return { method: 'GET', path: `/v1/licenses/${pick(seeded.licenseIds)}`, headers: asOperator };
  }
  if (draw < 0.82) {
    const filter = encodeURIComponent("accountId eq 'acme' and state eq 'active'");
    return {
      method: 'GET',
      path: `/v1/licenses?filter=${filter}&orderBy=${encodeURIComponent('expiresAt desc')}&limit=50`,
      headers: asOperator,
    };
  }
  if (draw < 0.95) {
    const batch = usageNo.next++;
    const at = new Date().toISOString();
    const records = Array.from({ length: USAGE_BATCH }, (_, i) => ({
      id: `soak-${String(process.pid)}-${String(batch)}-${String(i)}`,
      account: 'acme',
      product: 'cvo',
      metric: 1,
      kind: 'delta',
      value: 1,
      at,
    }));
    return {
      method: 'POST',
      path: '/v1/usage',
      headers: { ...json, authorization: `Bearer ${seeded.service}` },
      body: JSON.stringify({ records }),
    };
  }
  return { method: 'GET', path: '/v1/accounts/acme/compliance', headers: asOperator };
}

interface Window {
  latencies: number[];
  errors: number;
  non2xx: number;
}

interface Sample {
  atSeconds: number;
  rssMb: number;
  requests: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

function p99(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
}

/** Drives the mix for `seconds`, at `rate` req/s overall (unbounded when undefined). */
function drive(
  url: string,
  seeded: Seeded,
  seconds: number,
  rate: number | undefined,
  hear: { response?: (status: number, latencyMs: number) => void; error?: () => void } = {},
): Promise<autocannon.Result> {
  const usageNo = { next: Math.floor(Math.random() * 1e9) };
  return new Promise((done, fail) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        ...(rate === undefined ? {} : { overallRate: rate }),
        requests: [
          { setupRequest: (request) => ({ ...request, ...mixedRequest(seeded, usageNo) }) },
        ],
      },
      (error: Error | null, result: autocannon.Result) => {
        if (error !== null) fail(error);
        else done(result);
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      hear.response?.(statusCode, responseTime);
    });
    instance.on('reqError', () => hear.error?.());
  });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

describe('load soak', () => {
  it(
    'holds 70 % of capacity with no errors and flat memory',
    async () => {
      if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build`');
      // At info the server logs its ready line (with the port); requests log at trace.
      const { child, url } = await startBuiltServer(
        { ...env, ENTITLE_LOG_LEVEL: 'info' },
        {
          args: ['--no-jobs'],
          track: (started) => {
            server = started;
          },
        },
      );
      // Drain the log so a full pipe never blocks the server.
      child.stdout.resume();
      const seeded = await seed(url);

      // Capacity: the mix at full speed.
      const full = await drive(url, seeded, CAPACITY_SECONDS, undefined);
      expect(full.errors + full.non2xx, 'errors while measuring capacity').toBe(0);
      const rate = Math.max(1, Math.round(full.requests.average * LOAD_SHARE));

      const samples: Sample[] = [];
      let window: Window = { latencies: [], errors: 0, non2xx: 0 };
      const started = Date.now();
      const timer = setInterval(() => {
        samples.push({
          atSeconds: Math.round((Date.now() - started) / 1000),
          rssMb: rssMb(child.pid),
          requests: window.latencies.length,
          p99Ms: Math.round(p99(window.latencies) * 10) / 10,
          errors: window.errors,
          non2xx: window.non2xx,
        });
        window = { latencies: [], errors: 0, non2xx: 0 };
      }, SAMPLE_MS);
      const result = await drive(url, seeded, SOAK_SECONDS, rate, {
        response: (status, latency) => {
          window.latencies.push(latency);
          if (status >= 300) window.non2xx++;
        },
        error: () => window.errors++,
      });
      clearInterval(timer);

      const settled = samples.slice(WARM_UP_SAMPLES);
      const warm = median(settled.slice(0, 3).map((s) => s.rssMb));
      const last = median(settled.slice(-3).map((s) => s.rssMb));
      const report = {
        at: new Date().toISOString(),
        soakSeconds: SOAK_SECONDS,
        capacityRps: Math.round(full.requests.average),
        rateRps: rate,
        achievedRps: Math.round(result.requests.average),
        requests: result.requests.total,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        rssWarmMb: warm,
        rssLastMb: last,
        rssGrowth: Number((last / warm - 1).toFixed(3)),
        samples,
      };
      mkdirSync('test-results', { recursive: true });
      writeFileSync('test-results/soak.json', `${JSON.stringify(report, null, 2)}\n`);
      console.table(samples);
      console.info(
        `soak: capacity ${String(report.capacityRps)} req/s, driven at ${String(rate)} req/s for ${String(SOAK_SECONDS)} s, ${String(report.requests)} requests; RSS ${String(warm)} → ${String(last)} MB (${String(Math.round(report.rssGrowth * 1000) / 10)} %)`,
      );

      expect(samples.length, 'samples taken').toBeGreaterThan(WARM_UP_SAMPLES);
      expect(report.errors, 'request errors').toBe(0);
      expect(report.non2xx, 'non-2xx answers').toBe(0);
      expect(report.achievedRps, 'the driven rate was reached').toBeGreaterThan(rate * 0.9);
      expect(last, `RSS after warm-up grew from ${String(warm)} MB`).toBeLessThanOrEqual(
        warm * 1.1,
      );
    },
    (SOAK_SECONDS + 120) * 1000,
  );
});
