import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Entitle, verifyCertificate } from '../../sdk/src/index.js';
import type { Harness } from '../helpers/harness.js';
import { listeningHarness, seed } from '../sdk/listen.js';

/**
 * `entitle policies`, `entitle licenses policy` and `entitle leases`: the built binary as a child
 * process against a real listening server whose clock the test holds. `npm test` builds first;
 * run `npm run build` before running this file alone.
 */
const CLI = resolve('dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'entitle-cli-policies-'));
let harness: Harness & { url: string };
let env: NodeJS.ProcessEnv;
let sdk: Entitle;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      resolvePromise({ status, stdout, stderr });
    });
    child.stdin.end();
  });
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed cast is the point
const json = <T>(result: Run) => JSON.parse(result.stdout) as T;

const noStack = (result: Run) => {
  expect(result.stderr).not.toMatch(/^\s+at /m);
};

interface PolicyJson {
  id: string;
  name: string;
  revision: number;
  seatLimit: number | null;
  floating: boolean;
  heartbeatSeconds: number | null;
  rateLimits: Record<string, number>;
  [term: string]: unknown;
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  harness = await listeningHarness();
  await seed(harness);
  sdk = new Entitle({ url: harness.url, token: harness.operator });
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    ENTITLE_URL: harness.url,
    ENTITLE_TOKEN: harness.operator,
    NO_COLOR: '1',
  };
});
afterAll(async () => {
  await harness.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('entitle policies', () => {
  it('create from flags and from a file, list (table, JSON, CSV), get, update, delete', async () => {
    const created = await run([
      'policies',
      'create',
      '--product',
      'cvo',
      '--name',
      'floating-5',
      '--floating',
      '--seat-limit',
      '5',
      '--heartbeat-seconds',
      '60',
      '--overage',
      '1.25X',
      '--features',
      'BACKUP',
      '--metrics',
      '1=100',
      '--required-scopes',
      'product,instance',
      '--validations-per-minute',
      '30',
      '--json',
    ]);
    expect(created.status, created.stderr).toBe(0);
    const floating = json<PolicyJson>(created);
    expect(floating).toMatchObject({
      name: 'floating-5',
      floating: true,
      seatLimit: 5,
      heartbeatSeconds: 60,
      overage: '1.25X',
      features: ['BACKUP'],
      metrics: [{ metricId: 1, quantity: 100 }],
      requiredScopes: ['product', 'instance'],
      rateLimits: { activationsPerHour: 120, deactivationsPerHour: 120, validationsPerMinute: 30 },
      term: 'PERPETUAL',
      revision: 1,
    });

    const file = join(dir, 'trial.json');
    writeFileSync(
      file,
      JSON.stringify({ product: 'cvo', name: 'from-file', term: 'TRIAL', durationDays: 14 }),
    );
    const fromFile = await run([
      'policies',
      'create',
      '--file',
      file,
      '--name',
      'trial',
      '--grace-days',
      '3',
      '--json',
    ]);
    expect(fromFile.status, fromFile.stderr).toBe(0);
    const trial = json<PolicyJson>(fromFile);
    expect(trial).toMatchObject({ name: 'trial', term: 'TRIAL', durationDays: 14, graceDays: 3 });

    const table = await run(['policies', 'list']);
    expect(table.status).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+PRODUCTID\s+NAME\s+TERM\s+DURATIONDAYS\s+SEATLIMIT\s+FLOATING/);
    expect(
      lines
        .slice(1)
        .map((line) => line.split(/\s{2,}/)[2])
        .sort(),
    ).toEqual(['floating-5', 'trial']);
    const all = await run(['policies', 'list', '--all', '--limit', '1', '--json']);
    expect(
      json<PolicyJson[]>(all)
        .map((p) => p.id)
        .sort(),
    ).toEqual([floating.id, trial.id].sort());
    const some = await run(['policies', 'list', '--filter', "name eq 'trial'", '--count', '--csv']);
    expect(some.stdout.split('\n')[1]).toMatch(new RegExp(`^${trial.id},\\d+,trial,`));
    expect(some.stderr).toBe('count: 1\n');
    const asCsv = await run(['policies', 'list', '--csv']);
    expect(asCsv.stdout.split('\n')[0]).toMatch(/^id,productId,name,description,durationDays,/);

    const got = await run(['policies', 'get', trial.id]);
    expect(got.stdout).toMatch(new RegExp(`^FIELD\\s+VALUE\\nid\\s+${trial.id}\\n`));

    const updated = await run([
      'policies',
      'update',
      floating.id,
      '--seat-limit',
      '10',
      '--activations-per-hour',
      '7',
      '--json',
    ]);
    expect(updated.status, updated.stderr).toBe(0);
    // One rate limit changed; the others kept (merged onto what the policy had).
    expect(json<PolicyJson>(updated)).toMatchObject({
      seatLimit: 10,
      revision: 2,
      rateLimits: { activationsPerHour: 7, deactivationsPerHour: 120, validationsPerMinute: 30 },
    });
    const stale = await run([
      'policies',
      'update',
      floating.id,
      '--no-floating',
      '--if-match',
      '1',
    ]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(
      /^entitle: Resource conflict — Policy '.*' is at revision 2, not 1\./,
    );
    const unlimited = await run([
      'policies',
      'update',
      floating.id,
      '--seat-limit',
      'unlimited',
      '--if-match',
      '2',
      '--json',
    ]);
    expect(unlimited.status, unlimited.stderr).toBe(0);
    expect(json<PolicyJson>(unlimited)).toMatchObject({ seatLimit: null, revision: 3 });

    expect((await run(['policies', 'delete', trial.id])).status).toBe(0);
    expect((await run(['policies', 'get', trial.id])).status).toBe(3);
  }, 60_000);

  it('exit codes: 2 for bad flags, 1 for refused terms with the field named, 4 for a viewer', async () => {
    const noName = await run(['policies', 'create', '--product', 'cvo']);
    expect(noName).toMatchObject({
      status: 2,
      stderr: 'entitle: a policy needs --product and --name (or both in --file)\n',
    });
    const badChoice = await run([
      'policies',
      'create',
      '--product',
      'cvo',
      '--name',
      'x',
      '--overage',
      '3X',
    ]);
    expect(badChoice.status).toBe(2);
    expect(badChoice.stderr).toContain("argument '3X' is invalid");
    const badCount = await run(['policies', 'create', '--name', 'x', '--seat-limit', 'many']);
    expect(badCount.status).toBe(2);
    expect(badCount.stderr).toContain("expected a whole number or 'unlimited', got 'many'");
    const badMetrics = await run(['policies', 'create', '--name', 'x', '--metrics', '1:5']);
    expect(badMetrics.status).toBe(2);

    const broken = await run([
      'policies',
      'create',
      '--product',
      'cvo',
      '--name',
      'locked',
      '--node-locked',
      '--floating',
    ]);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('\n  floating: a node-locked license cannot float');
    noStack(broken);
    const nothing = await run(['policies', 'update', 'pol_0000000000000000']);
    expect(nothing.status).toBe(2);
    const viewer = await run(['policies', 'create', '--product', 'cvo', '--name', 'v'], {
      ENTITLE_TOKEN: await harness.token('viewer', ['acme']),
    });
    expect(viewer.status).toBe(4);
  }, 60_000);
});

describe('entitle licenses policy and entitle leases', () => {
  let policyId: string;
  let licenseId: string;

  beforeAll(async () => {
    policyId = (
      await sdk.policies.create({
        product: 'cvo',
        name: 'two-floating',
        floating: true,
        seatLimit: 2,
        leaseSeconds: 600,
        heartbeatSeconds: 30,
      })
    ).id;
    licenseId = (
      await sdk.licenses.create({ accountId: 'acme', product: 'cvo', serialNumber: 4242 })
    ).id;
  }, 60_000);

  it('licenses policy set (with overrides), get (overrides marked), unset', async () => {
    const set = await run([
      'licenses',
      'policy',
      'set',
      '4242',
      '--policy',
      policyId,
      '--overrides',
      '{"seatLimit":1}',
    ]);
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^TERM\s+VALUE\s+FROM\n/);
    expect(set.stdout).toMatch(/\nseatLimit\s+1\s+override\n/);
    expect(set.stdout).toMatch(/\nfloating\s+true\n/);
    const got = await run(['licenses', 'policy', 'get', licenseId, '--json']);
    expect(json<Record<string, unknown>>(got)).toMatchObject({
      licenseId,
      policyId,
      overrides: { seatLimit: 1 },
      terms: { seatLimit: 1, floating: true, heartbeatSeconds: 30 },
    });

    const badJson = await run([
      'licenses',
      'policy',
      'set',
      '4242',
      '--policy',
      policyId,
      '--overrides',
      '{x',
    ]);
    expect(badJson).toMatchObject({
      status: 2,
      stderr: 'entitle: --overrides is not valid JSON\n',
    });
    const noPolicy = await run(['licenses', 'policy', 'set', '4242']);
    expect(noPolicy.status).toBe(2);
    const badOverride = await run([
      'licenses',
      'policy',
      'set',
      '4242',
      '--policy',
      policyId,
      '--overrides',
      '{"nodeLocked":true}',
    ]);
    expect(badOverride.status).toBe(1);
    expect(badOverride.stderr).toContain(
      '\n  overrides.floating: a node-locked license cannot float',
    );

    expect((await run(['licenses', 'policy', 'unset', '4242'])).status).toBe(0);
    expect((await run(['licenses', 'policy', 'get', '4242'])).status).toBe(3);
    // Bound again without overrides: two floating seats for the lease tests.
    expect((await run(['licenses', 'policy', 'set', '4242', '--policy', policyId])).status).toBe(0);
  }, 60_000);

  it('leases checkout, list, heartbeat, checkin; a full license and a dead lease exit 1', async () => {
    const [a, b, c] = await Promise.all([
      harness.instance('acme'),
      harness.instance('acme'),
      harness.instance('acme'),
    ]);
    const first = await run(['leases', 'checkout', '4242', '--instance', a, '--json']);
    expect(first.status, first.stderr).toBe(0);
    const lease = json<{ id: string; outcome: string; instanceId: string; alive: boolean }>(first);
    expect(lease).toMatchObject({ outcome: 'WITHIN', instanceId: a, alive: true });
    expect(lease.id).toMatch(/^lease_/);
    const again = await run(['leases', 'checkout', '4242', '--instance', a]);
    expect(again.stdout).toMatch(/^FIELD\s+VALUE\noutcome\s+RENEWED\nid\s+lease_/);
    expect(
      (await run(['leases', 'checkout', '4242', '--instance', b, '--ttl', '120'])).status,
    ).toBe(0);
    const full = await run(['leases', 'checkout', '4242', '--instance', c]);
    expect(full.status).toBe(1);
    expect(full.stderr).toMatch(/^entitle: Seat limit reached — /);
    noStack(full);

    const table = await run(['leases', 'list', '4242']);
    expect(table.stdout).toMatch(
      /^ID\s+INSTANCEID\s+ALIVE\s+EXPIRESAT\s+LASTHEARTBEATAT\s+CREATEDAT\n/,
    );
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(3);
    const asCsv = await run(['leases', 'list', licenseId, '--csv']);
    expect(asCsv.stdout.split('\n')[0]).toBe(
      'id,licenseId,instanceId,expiresAt,lastHeartbeatAt,createdAt,alive',
    );

    harness.clock.advance(30_000);
    const beat = await run(['leases', 'heartbeat', '4242', lease.id, '--json']);
    expect(beat.status, beat.stderr).toBe(0);
    expect(json<{ lastHeartbeatAt: string }>(beat).lastHeartbeatAt).toBe(
      harness.clock.now().toISOString(),
    );

    // An instance token checks out for itself; B's lease stops beating and is dead 60 s later.
    harness.clock.advance(60_000);
    const leases = await sdk.leases.list(licenseId);
    const leaseB = leases.find((l) => l.instanceId === b);
    expect(leaseB?.alive).toBe(false);
    const dead = await run(['leases', 'heartbeat', '4242', leaseB?.id ?? '']);
    expect(dead.status).toBe(1);
    expect(dead.stderr).toMatch(/^entitle: Resource conflict — .*missed its heartbeats/);
    expect(dead.stderr).toContain('\n  lease: HEARTBEAT_DEAD');
    const ownToken = await harness.token('instance', ['acme'], { instance: c });
    const own = await run(['leases', 'checkout', '4242', '--json'], { ENTITLE_TOKEN: ownToken });
    expect(own.status, own.stderr).toBe(0);
    expect(json<{ instanceId: string }>(own).instanceId).toBe(c);
    const mine = await run(['leases', 'list', '4242', '--json'], { ENTITLE_TOKEN: ownToken });
    expect(json<{ instanceId: string }[]>(mine).map((l) => l.instanceId)).toEqual([c]);

    const checkin = await run(['leases', 'checkin', '4242', lease.id]);
    expect(checkin).toMatchObject({ status: 0, stderr: `checked in lease ${lease.id}\n` });
    expect((await run(['leases', 'checkin', '4242', lease.id])).status).toBe(3);
    const outWithoutBorrow = await run(['leases', 'checkout', '4242', '--out', 'x.jws']);
    expect(outWithoutBorrow.status).toBe(2);
  }, 60_000);

  it('leases checkout --borrow writes a certificate bound to the instance, valid until the lease ends', async () => {
    const d = await harness.instance('acme');
    const out = join(dir, 'lease.jws');
    const borrowed = await run([
      'leases',
      'checkout',
      '4242',
      '--instance',
      d,
      '--ttl',
      '300',
      '--borrow',
      '--out',
      out,
      '--json',
    ]);
    expect(borrowed.status, borrowed.stderr).toBe(0);
    expect(borrowed.stderr).toBe(`certificate written to ${out}\n`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const lease = json<{ id: string; expiresAt: string }>(borrowed);
    const keys = await sdk.keys();
    const verified = verifyCertificate(readFileSync(out, 'utf8').trim(), keys, {
      now: harness.clock.now(),
      instance: d,
    });
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.claims.exp * 1000).toBe(Date.parse(lease.expiresAt));
    expect(verified.claims.lease?.id).toBe(lease.id);

    const toStdout = await run(['leases', 'checkout', '4242', '--instance', d, '--borrow']);
    expect(toStdout.status, toStdout.stderr).toBe(0);
    expect(toStdout.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(toStdout.stderr).toMatch(new RegExp(`^lease ${lease.id} \\(RENEWED\\) until `));
  }, 60_000);

  it('completion knows the new commands', async () => {
    const bash = await run(['completion', 'bash']);
    expect(bash.stdout).toContain('"policies") words="list get create update delete');
    expect(bash.stdout).toContain('"leases") words="list checkout heartbeat checkin');
    expect(bash.stdout).toMatch(/"licenses policy"\) words="get set unset/);
    expect(bash.stdout).toMatch(/"policies create"\) words="[^"]*--heartbeat-seconds/);
  }, 60_000);
});
