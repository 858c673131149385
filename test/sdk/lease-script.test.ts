import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import { Entitle, EntitleError, type Lease } from '../../sdk/src/index.js';
import type { Harness } from '../helpers/harness.js';
import { listeningHarness, seed } from './listen.js';

/**
 * Issue 12, "tried as a new user would": the 10-line script of docs/policies.md ("From the SDK"),
 * taken from the doc as is, runs in a child `node` process against a real listening server whose
 * clock the test holds. It checks a floating lease out; killed with SIGKILL, its seat comes back
 * once the server's clock passes the heartbeat window; stopped with SIGTERM, it checks in.
 * The child imports `@entitle/sdk` from the built package (`npm run build` first when run alone).
 */
const SDK_DIR = resolve('sdk');
const HEARTBEAT_SECONDS = 30;
const dir = mkdtempSync(join(tmpdir(), 'entitle-lease-script-'));
let harness: Harness & { url: string };
let sdk: Entitle;
let script: string;
let licenseId: string;
const children: ChildProcessWithoutNullStreams[] = [];

/** The first ```js block of the doc's "From the SDK" section. */
function scriptFromDoc(): string {
  const doc = readFileSync(resolve('docs/policies.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## From the SDK\n'));
  const block = /```js\n([\s\S]*?)```/.exec(section);
  if (!section.startsWith('\n## From the SDK') || block?.[1] === undefined) {
    throw new Error('docs/policies.md has no ```js block under "## From the SDK"');
  }
  return block[1];
}

function start(
  token: string,
  file = 'hold-a-seat.mjs',
): { child: ChildProcessWithoutNullStreams; output: () => string } {
  const child = spawn(process.execPath, [join(dir, file)], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      ENTITLE_URL: harness.url,
      ENTITLE_TOKEN: token,
      ENTITLE_LICENSE: licenseId,
    },
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      done({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => {
      done({ code, signal });
    });
  });

/**
 * Polls the API until `instance` holds a live lease and the script has printed it: the only wait
 * on wall time, for the child to start and check out (a few hundred ms).
 */
async function leaseOf(
  instance: string,
  child: ChildProcessWithoutNullStreams,
  output: () => string,
): Promise<Lease> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const lease = (await sdk.leases.list(licenseId)).find(
      (l) => l.instanceId === instance && l.alive,
    );
    // Alive through the API, and the script says so (it reads the policy after checking out).
    if (lease !== undefined && output().includes(`leased ${lease.id}`)) return lease;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the script holds no lease (exit ${String(child.exitCode)}): ${output()}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

beforeAll(async () => {
  if (!existsSync(join(SDK_DIR, 'dist/esm/leases.js'))) {
    throw new Error('sdk/dist is missing or stale: run `npm run build` first');
  }
  script = scriptFromDoc();
  writeFileSync(join(dir, 'hold-a-seat.mjs'), script);
  writeFileSync(
    join(dir, 'no-work.mjs'),
    [
      "import { Entitle } from '@entitle/sdk';",
      'const entitle = new Entitle({ url: process.env.ENTITLE_URL, token: process.env.ENTITLE_TOKEN });',
      'const seat = await entitle.leases.hold(process.env.ENTITLE_LICENSE);',
      'console.log(`leased ${seat.id}`);',
      '',
    ].join('\n'),
  );
  // The child resolves `@entitle/sdk` as an installed package would: node_modules → sdk/.
  mkdirSync(join(dir, 'node_modules/@entitle'), { recursive: true });
  symlinkSync(SDK_DIR, join(dir, 'node_modules/@entitle/sdk'), 'dir');

  harness = await listeningHarness();
  await seed(harness);
  sdk = new Entitle({ url: harness.url, token: harness.operator });
  const policy = await sdk.policies.create({
    product: 'cvo',
    name: 'floating-1',
    floating: true,
    seatLimit: 1,
    leaseSeconds: 3600,
    heartbeatSeconds: HEARTBEAT_SECONDS,
  });
  licenseId = (await sdk.licenses.create({ accountId: 'acme', product: 'cvo' })).id;
  await sdk.licenses.policy.assign(licenseId, { policy: policy.id });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(exited));
  await harness.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the 10-line lease script of docs/policies.md', () => {
  it('is at most 10 lines and uses the published package', () => {
    expect(script.trimEnd().split('\n').length).toBeLessThanOrEqual(10);
    expect(script).toContain("from '@entitle/sdk'");
  });

  it('holds a seat; SIGKILLed, the seat comes back after the heartbeat window and is reclaimed', async () => {
    const a = await harness.instance('acme');
    const b = await harness.instance('acme');
    const tokenB = await harness.token('instance', ['acme'], { instance: b });
    const { child, output } = start(await harness.token('instance', ['acme'], { instance: a }));
    const lease = await leaseOf(a, child, output);
    expect(output()).toContain(
      `leased ${lease.id} (WITHIN); heartbeat every ${String(HEARTBEAT_SECONDS / 2)} s`,
    );

    const other = new Entitle({ url: harness.url, token: tokenB });
    const refused = await other.leases.checkOut(licenseId).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EntitleError);
    expect((refused as EntitleError).problem.type).toBe('/problems/seat-limit-reached');

    child.kill('SIGKILL');
    expect(await exited(child)).toEqual({ code: null, signal: 'SIGKILL' });
    // Nobody checked in: the lease is still there, and still alive inside the window.
    harness.clock.advance(2 * HEARTBEAT_SECONDS * 1000 - 1000);
    expect((await sdk.leases.list(licenseId)).map((l) => [l.id, l.alive])).toEqual([
      [lease.id, true],
    ]);
    await expect(other.leases.checkOut(licenseId)).rejects.toMatchObject({ status: 409 });

    // Two intervals after the last beat the lease is dead and the seat goes to the next caller.
    harness.clock.advance(1000);
    expect((await sdk.leases.list(licenseId)).map((l) => [l.id, l.alive])).toEqual([
      [lease.id, false],
    ]);
    const next = await other.leases.checkOut(licenseId);
    expect(next).toMatchObject({ outcome: 'WITHIN', lease: { instanceId: b, alive: true } });

    // The reclaim job's pass deletes the dead lease, with its event.
    const ctx = { principal: systemPrincipal, requestId: null, clock: harness.clock };
    expect(await harness.services.policies.reclaim(ctx)).toBe(1);
    expect((await sdk.leases.list(licenseId)).map((l) => l.instanceId)).toEqual([b]);
    const reclaimed: string[] = [];
    for await (const event of sdk.events.list({ filter: "type eq 'lease.reclaimed'" })) {
      reclaimed.push(event.resourceId);
    }
    expect(reclaimed).toEqual([lease.id]);
    await other.leases.checkIn(licenseId, next.lease.id);
  });

  it('stopped with SIGTERM, it checks its seat in at once', async () => {
    const c = await harness.instance('acme');
    const { child, output } = start(await harness.token('instance', ['acme'], { instance: c }));
    const lease = await leaseOf(c, child, output);
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(await sdk.leases.list(licenseId)).toEqual([]);
    const checkedIn: string[] = [];
    for await (const event of sdk.events.list({ filter: "type eq 'lease.checked_in'" })) {
      checkedIn.push(event.resourceId);
    }
    expect(checkedIn).toContain(lease.id);
  });

  it('the heartbeat timer never keeps a program alive: with no work left, it exits', async () => {
    const d = await harness.instance('acme');
    const { child, output } = start(
      await harness.token('instance', ['acme'], { instance: d }),
      'no-work.mjs',
    );
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    const [lease] = await sdk.leases.list(licenseId);
    expect(lease).toMatchObject({ instanceId: d, alive: true });
    expect(output()).toBe(`leased ${lease?.id ?? ''}\n`);
    await sdk.leases.checkIn(licenseId, lease?.id ?? '');
  });
});
