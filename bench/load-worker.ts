/**
 * The load generator of `npm run bench`, in a process of its own so that the client never shares
 * an event loop with the driver: `tsx bench/load-worker.ts '<LoadSpec JSON>'` runs autocannon and
 * prints one JSON line with the figures.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  /** How each request differs from the last. */
  vary?:
    | { kind: 'none'; body?: string }
    /** A JSON body `{[field]: <next key>, ...extra}`, keys read from a file (one per line). */
    | { kind: 'key-body'; keysFile: string; field: string; extra?: Record<string, unknown> }
    /** The path `<prefix><encoded next key><suffix>`. */
    | { kind: 'key-path'; keysFile: string; prefix: string; suffix: string }
    /** The next of a list of paths. */
    | { kind: 'paths'; paths: string[] }
    /** A usage batch of `size` delta records with ids never sent before. */
    | { kind: 'usage'; size: number; instance: string; product: string; metric: number };
}

export interface LoadFigures {
  requestsPerSecond: number;
  /** Every response counted over the run (to divide the server's CPU time by). */
  requests: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** Steps through n items in a scattered order (a multiplicative walk), so caches stay cold. */
function scattered(n: number): () => number {
  let i = 0;
  return () => (i = (i * 7919 + 1) % n);
}

function setup(spec: LoadSpec): autocannon.Request['setupRequest'] | undefined {
  const vary = spec.vary ?? { kind: 'none' };
  switch (vary.kind) {
    case 'none':
      return undefined;
    case 'key-body': {
      const keys = lines(vary.keysFile);
      const next = scattered(keys.length);
      return (request) => ({
        ...request,
        body: JSON.stringify({ [vary.field]: keys[next()], ...vary.extra }),
      });
    }
    case 'key-path': {
      const keys = lines(vary.keysFile);
      const next = scattered(keys.length);
      return (request) => ({
        ...request,
        path: `${vary.prefix}${encodeURIComponent(keys[next()] ?? '')}${vary.suffix}`,
      });
    }
    case 'paths': {
      const next = scattered(vary.paths.length);
      return (request) => ({ ...request, path: vary.paths[next()] ?? '/' });
    }
    case 'usage': {
      let id = 0;
      const run = `${String(process.pid)}-${String(Date.now())}`;
      return (request) => {
        const at = new Date(Date.now() - 60_000).toISOString();
        const records = Array.from({ length: vary.size }, () => ({
          id: `bench-${run}-${String(id++)}`,
          instance: vary.instance,
          product: vary.product,
          metric: vary.metric,
          kind: 'delta',
          value: 1,
          at,
        }));
        return { ...request, body: JSON.stringify({ records }) };
      };
    }
  }
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const setupRequest = setup(spec);
const body = spec.vary?.kind === 'none' ? spec.vary.body : undefined;
const result = await autocannon({
  url: spec.url,
  method: spec.method ?? 'GET',
  headers: {
    ...(spec.method === 'POST' ? { 'content-type': 'application/json' } : {}),
    ...spec.headers,
  },
  connections: spec.connections,
  duration: spec.seconds,
  ...(body === undefined ? {} : { body }),
  ...(setupRequest === undefined ? {} : { requests: [{ setupRequest }] }),
});
const figures: LoadFigures = {
  requestsPerSecond: Math.round(result.requests.average),
  requests: result.requests.total,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  errors: result.errors + result.timeouts,
  non2xx: result.non2xx,
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
