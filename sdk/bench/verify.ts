/**
 * Offline verification speed on one core: the SDK's verifyCertificate against a bare
 * crypto.verify(null, data, key, sig) loop with a prepared KeyObject (the floor: Ed25519 itself).
 *
 *   taskset -c 0 npx tsx sdk/bench/verify.ts [seconds-per-round]
 */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { verifyCertificate, type Jwk } from '../src/index.js';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
const kid = createHash('sha256')
  .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
  .digest('base64url');
const jwks: { keys: Jwk[] } = {
  keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' }],
};

const now = Math.floor(Date.now() / 1000);
const claims = {
  v: 1,
  iss: 'entitle',
  iat: now,
  exp: now + 7 * 86_400,
  license: {
    id: 'license-1042-6f1c2b9e-4d1a-4c55-9f7e-1b2c3d4e5f60',
    serialNumber: 1042,
    key: '8ZHSA-2AQWJ-WW3N8-HAE1C-6ZV37-SD7PB-TGX5Q-GRHA0',
    account: 'acme',
    product: { id: 1, slug: 'cvo' },
    kind: 'capacity',
    term: 'SUBSCRIPTION',
    service: null,
    group: 'CVO',
    features: ['BACKUP', 'TIERING'],
    metric: { id: 1, unit: 'TiB' },
    quantity: 40,
    startsAt: null,
    expiresAt: '2027-11-23T00:00:00.000Z',
    graceDays: 30,
    seatLimit: 3,
    status: 'active',
  },
  instance: { id: '0b6f0c7e-2f7a-4a43-9d4b-5d3c2b1a0f9e', installId: 12, fingerprint: 'fp-1' },
};
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const input = `${encode({ alg: 'EdDSA', typ: 'entitle-license+jws', kid, v: 1 })}.${encode(claims)}`;
const signature = sign(null, Buffer.from(input, 'ascii'), privateKey);
const certificate = `${input}.${signature.toString('base64url')}`;
const data = Buffer.from(input, 'ascii');

const first = verifyCertificate(certificate, jwks, { instance: claims.instance.id });
if (!first.ok) throw new Error(`the bench certificate does not verify: ${first.reason}`);

const seconds = Number(process.argv[2] ?? '10');
const SLICE_MS = 50;

/**
 * Runs `body` for one time slice; returns the count and the CPU time it took (user + system),
 * so that other processes on a busy machine do not count against either side.
 */
function slice(body: () => boolean): { count: number; cpuMs: number; wallMs: number } {
  let count = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + SLICE_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) if (!body()) throw new Error('verification failed');
    count += 50;
  }
  const used = process.cpuUsage(cpu);
  return { count, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start };
}

// 2000 different certificates: more than the SDK's decoded-claims cache holds, so every
// verification decodes its payload (the cost of checking certificates never seen before).
const distinct = Array.from({ length: 2000 }, (_, i) => {
  const text = `${input.slice(0, input.indexOf('.'))}.${encode({
    ...claims,
    license: { ...claims.license, serialNumber: 50_000 + i },
  })}`;
  const bytes = Buffer.from(text, 'ascii');
  const sig = sign(null, bytes, privateKey);
  return { certificate: `${text}.${sig.toString('base64url')}`, bytes, sig };
});
let next = 0;

const raw = () => verify(null, data, publicKey, signature);
const sdk = () => verifyCertificate(certificate, jwks, { instance: claims.instance.id }).ok;
const rawDistinct = () => {
  const item = distinct[next++ % distinct.length];
  return item !== undefined && verify(null, item.bytes, publicKey, item.sig);
};
const sdkDistinct = () =>
  verifyCertificate(distinct[next++ % distinct.length]?.certificate ?? '', jwks, {
    instance: claims.instance.id,
  }).ok;
const bodies = { raw, sdk, rawDistinct, sdkDistinct } as const;
for (const body of Object.values(bodies)) slice(body); // warm up every path
const totals = {
  raw: { count: 0, cpuMs: 0, wallMs: 0 },
  sdk: { count: 0, cpuMs: 0, wallMs: 0 },
  rawDistinct: { count: 0, cpuMs: 0, wallMs: 0 },
  sdkDistinct: { count: 0, cpuMs: 0, wallMs: 0 },
};
// Alternate short slices so that both sides see the same machine load, in turn first and second
// (drift within a round cancels), and keep each round's ratio: the machine is shared, and a slice
// slowed by a neighbour moves one round's ratio, not the median of all rounds.
const rounds: { same: number; distinct: number }[] = [];
const rate = (r: { count: number; cpuMs: number }) => r.count / Math.max(r.cpuMs, 1e-3);
for (let elapsed = 0, round = 0; elapsed < seconds * 1000; elapsed += 4 * SLICE_MS, round++) {
  const order =
    round % 2 === 0
      ? (['raw', 'sdk', 'sdkDistinct', 'rawDistinct'] as const)
      : (['sdk', 'raw', 'rawDistinct', 'sdkDistinct'] as const);
  const results = {} as Record<keyof typeof bodies, ReturnType<typeof slice>>;
  for (const name of order) {
    const result = slice(bodies[name]);
    results[name] = result;
    totals[name].count += result.count;
    totals[name].cpuMs += result.cpuMs;
    totals[name].wallMs += result.wallMs;
  }
  rounds.push({
    same: rate(results.sdk) / rate(results.raw),
    distinct: rate(results.sdkDistinct) / rate(results.rawDistinct),
  });
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const perCpuSecond = (t: { count: number; cpuMs: number }) => (t.count * 1000) / t.cpuMs;
const perWallSecond = (t: { count: number; wallMs: number }) => (t.count * 1000) / t.wallMs;
const row = (label: string, t: { count: number; cpuMs: number; wallMs: number }) =>
  `  ${label.padEnd(46)}${perCpuSecond(t).toFixed(0).padStart(14)}   ${perWallSecond(t).toFixed(0).padStart(15)}\n`;
const ratio = (label: string, a: typeof totals.raw, b: typeof totals.raw) =>
  `  ${label.padEnd(46)}${(perCpuSecond(a) / perCpuSecond(b)).toFixed(3).padStart(14)}   ${(perWallSecond(a) / perWallSecond(b)).toFixed(3).padStart(15)}\n`;
process.stdout.write(
  `certificate ${String(certificate.length)} bytes, ${String(seconds)} s, alternating ${String(SLICE_MS)} ms slices\n` +
    `  ${''.padEnd(46)}per CPU second   per wall second\n` +
    row('crypto.verify, prepared key (one certificate)', totals.raw) +
    row('verifyCertificate (the same certificate)', totals.sdk) +
    ratio('  ratio', totals.sdk, totals.raw) +
    row('crypto.verify, prepared key (2000 distinct)', totals.rawDistinct) +
    row('verifyCertificate (2000 distinct)', totals.sdkDistinct) +
    ratio('  ratio', totals.sdkDistinct, totals.rawDistinct) +
    `  median of ${String(rounds.length)} rounds' ratios (per CPU time): one certificate ${median(rounds.map((r) => r.same)).toFixed(3)}, distinct ${median(rounds.map((r) => r.distinct)).toFixed(3)}\n`,
);
// The last line, for bench/run.ts: both ratios (medians of the rounds' ratios), as JSON.
process.stdout.write(
  `${JSON.stringify({
    rawPerSecond: Math.round(perCpuSecond(totals.raw)),
    sdkPerSecond: Math.round(perCpuSecond(totals.sdk)),
    ratio: median(rounds.map((r) => r.same)),
    distinctRatio: median(rounds.map((r) => r.distinct)),
  })}\n`,
);
