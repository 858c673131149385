import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Entitle } from '../../sdk/src/index.js';
import type { Harness } from '../helpers/harness.js';
import { listeningHarness, seed } from '../sdk/listen.js';

/**
 * The client commands of the built `entitle` binary, run as child processes against a real
 * listening server. `npm test` builds first; run `npm run build` before running this file alone.
 * Children are spawned asynchronously: the server runs in this process and must keep answering.
 */
const CLI = resolve('dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'entitle-client-'));
let harness: Harness & { url: string };
let env: NodeJS.ProcessEnv;
let sdk: Entitle;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}, stdin?: string): Promise<Run> {
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
    child.stdin.end(stdin ?? '');
  });
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed cast is the point
const json = <T>(result: Run) => JSON.parse(result.stdout) as T;

/** No stack trace, ever: no "    at fn (file:line)" lines. */
const noStack = (result: Run) => {
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).not.toMatch(/^\s+at /m);
};

function licensesCsv(path: string, first: number, count: number): void {
  const lines = ['serialNumber,accountId,product,quantity,features,expiresAt'];
  for (let i = 0; i < count; i++) {
    lines.push(`${String(first + i)},acme,cvo,${String((i % 5) + 1)},BACKUP,2027-12-31T00:00:00Z`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

async function countLicenses(filter: string): Promise<number> {
  return (await sdk.licenses.page({ filter, limit: 1, count: true })).metadata.count ?? -1;
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

describe('entitle client commands', () => {
  it('accounts: create, get, list as a table, JSON and CSV, update, delete', async () => {
    const created = await run([
      'accounts',
      'create',
      '--set',
      'id=globex',
      '--set',
      'name=Globex Corp',
      '--json',
    ]);
    expect(created.status).toBe(0);
    expect(json<{ id: string; name: string }>(created)).toMatchObject({
      id: 'globex',
      name: 'Globex Corp',
    });

    const table = await run(['accounts', 'list']);
    expect(table.status).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+ORGID\s+CREATEDAT$/);
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/)[0])).toEqual(['acme', 'globex']);
    // Aligned: every row's NAME starts in the same column as the header's.
    const nameColumn = lines[0]?.indexOf('NAME');
    expect(lines[2]?.indexOf('Globex Corp')).toBe(nameColumn);

    const asCsv = await run(['accounts', 'list', '--csv']);
    const [head, ...rows] = asCsv.stdout.trimEnd().split('\n');
    expect(head).toBe('id,name,orgId,settings,createdAt,updatedAt');
    expect(rows[1]).toMatch(/^globex,Globex Corp,,"\{""autoDownload"":false/);

    const got = await run(['accounts', 'get', 'globex']);
    expect(got.stdout).toMatch(/^FIELD\s+VALUE\nid\s+globex\nname\s+Globex Corp\n/);
    const updated = await run([
      'accounts',
      'update',
      'globex',
      '--data',
      '{"orgId":"org-9"}',
      '--json',
    ]);
    expect(json<{ orgId: string }>(updated).orgId).toBe('org-9');
    const deleted = await run(['accounts', 'delete', 'globex']);
    expect(deleted).toMatchObject({ status: 0, stderr: 'deleted account globex\n' });
  });

  it('truncates tables to the terminal width', async () => {
    const narrow = await run(['licenses', 'list', '--all'], { COLUMNS: '60' });
    expect(narrow.status).toBe(0);
    for (const line of narrow.stdout.trimEnd().split('\n'))
      expect(line.length).toBeLessThanOrEqual(60);
  });

  it('exit codes: 3 not found, 4 auth, 2 usage, 1 refused — with the title and fields, no stack', async () => {
    const missing = await run(['accounts', 'get', 'ghost']);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/^entitle: Resource not found/);
    noStack(missing);

    const auth = await run(['accounts', 'list'], { ENTITLE_TOKEN: 'nope' });
    expect(auth.status).toBe(4);
    expect(auth.stderr).toMatch(/^entitle: /);
    noStack(auth);
    const forbidden = await run(['accounts', 'create', '--set', 'name=x'], {
      ENTITLE_TOKEN: await harness.token('viewer', ['acme']),
    });
    expect(forbidden.status).toBe(4);

    const invalid = await run(['accounts', 'create', '--set', 'id=bad id!', '--set', 'nam=x']);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/^entitle: Invalid request body — /);
    expect(invalid.stderr).toContain('\n  name: is required');
    expect(invalid.stderr).toContain('\n  nam: is not a known field');
    expect(invalid.stderr).toContain('\n  id: must match pattern');
    noStack(invalid);

    const noArgument = await run(['accounts', 'get']);
    expect(noArgument.status).toBe(2);
    expect(noArgument.stderr).toContain("missing required argument 'id'");
    const badJson = await run(['accounts', 'create', '--data', '{nope']);
    expect(badJson).toMatchObject({ status: 2, stderr: 'entitle: --data is not valid JSON\n' });
    const noServer = await run(['accounts', 'list'], { ENTITLE_URL: '' });
    expect(noServer.status).toBe(2);
    expect(noServer.stderr).toContain('no server: pass --url');
    const badLimit = await run(['accounts', 'list', '--limit', '0']);
    expect(badLimit.status).toBe(2);
    expect(badLimit.stderr).toContain("expected a positive integer, got '0'");
    const unknownVerb = await run(['accounts', 'frobnicate']);
    expect(unknownVerb.status).toBe(2);
    const unknownCommand = await run(['frobnicate']);
    expect(unknownCommand.status).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'frobnicate'");
    const unknownOption = await run(['serve', '--no-such-option']);
    expect(unknownOption.status).toBe(2);
    expect((await run(['--version'])).status).toBe(0);
    const refused = await run(['accounts', 'list', '--url', 'http://127.0.0.1:9']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^entitle: Network error/);
    noStack(refused);
  });

  it('--help on every command shows examples and the exit codes', async () => {
    for (const args of [
      ['accounts', 'list'],
      ['licenses', 'import'],
      ['licenses', 'validate'],
      ['usage', 'send'],
      ['webhooks', 'create'],
    ]) {
      const help = await run([...args, '--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('Examples:');
    }
    const top = await run(['--help']);
    expect(top.stdout).toContain('4  authentication or permission (401, 403)');
    const group = await run(['licenses', '--help']);
    expect(group.stdout).toContain('3  not found');
  });

  it('products, licenses (create, get, validate, revoke), events', async () => {
    const product = await run([
      'products',
      'create',
      '--data',
      '{"slug":"hci","name":"HCI"}',
      '--json',
    ]);
    expect(product.status).toBe(0);
    const created = await run([
      'licenses',
      'create',
      '--set',
      'accountId=acme',
      '--set',
      'product=cvo',
      '--set',
      'serialNumber=500',
      '--set',
      'features=["BACKUP"]',
      '--json',
    ]);
    expect(created.status).toBe(0);
    const license = json<{ key: string; serialNumber: number; features: string[] }>(created);
    expect(license).toMatchObject({ serialNumber: 500, features: ['BACKUP'] });

    const valid = await run([
      'licenses',
      'validate',
      license.key,
      '--product',
      'cvo',
      '--feature',
      'BACKUP',
    ]);
    expect(valid).toMatchObject({ status: 0 });
    expect(valid.stdout).toMatch(/^valid: VALID — .*\(license 500\)\n$/);
    const wrong = await run(['licenses', 'validate', license.key, '--product', 'hci', '--json']);
    expect(wrong.status).toBe(1);
    expect(json<{ code: string }>(wrong).code).toBe('PRODUCT_MISMATCH');

    const got = await run(['licenses', 'get', '500', '--json']);
    expect(json<{ key: string }>(got).key).toBe(license.key);
    const updated = await run(['licenses', 'update', '500', '--set', 'quantity=8', '--json']);
    expect(json<{ quantity: number }>(updated).quantity).toBe(8);
    const revoked = await run(['licenses', 'revoke', '500', '--json']);
    expect(json<{ state: string }>(revoked).state).toBe('revoked');
    const certificate = await run(['licenses', 'certificate', '500']);
    expect(certificate.status).toBe(1); // a revoked license gets no certificate
    noStack(certificate);

    const events = await run(['events', 'list', '--filter', "resourceType eq 'license'", '--json']);
    expect(json<{ type: string }[]>(events).map((e) => e.type)).toEqual(
      expect.arrayContaining(['license.created', 'license.updated', 'license.revoked']),
    );
    expect((await run(['products', 'delete', 'hci'])).status).toBe(0);
  });

  it('subscriptions and webhooks: create, list, update, cancel, delete', async () => {
    const subscription = await run([
      'subscriptions',
      'create',
      '--data',
      '{"terms":"paid","accounts":["acme"],"appLimit":10}',
      '--json',
    ]);
    expect(subscription.status).toBe(0);
    const { id } = json<{ id: string }>(subscription);
    const updated = await run(['subscriptions', 'update', id, '--set', 'appLimit=20', '--json']);
    expect(json<{ appLimit: number }>(updated).appLimit).toBe(20);
    const listed = await run(['subscriptions', 'list']);
    expect(listed.stdout).toContain(id);
    const cancelled = await run(['subscriptions', 'cancel', id, '--json']);
    expect(json<{ status: string }>(cancelled).status).toBe('inactive');
    expect((await run(['subscriptions', 'delete', id])).status).toBe(0);
    expect((await run(['subscriptions', 'get', id])).status).toBe(3);

    const hook = await run([
      'webhooks',
      'create',
      '--set',
      'accountId=acme',
      '--set',
      'url=https://hooks.example.com/x',
      '--set',
      'eventTypes=["license.created"]',
      '--json',
    ]);
    expect(hook.status).toBe(0);
    const webhook = json<{ id: string; secret: string }>(hook);
    expect(webhook.secret).toBeTypeOf('string');
    const disabled = await run([
      'webhooks',
      'update',
      webhook.id,
      '--set',
      'enabled=false',
      '--json',
    ]);
    expect(json<{ enabled: boolean }>(disabled).enabled).toBe(false);
    expect((await run(['webhooks', 'list', '--csv'])).stdout).toContain(webhook.id);
    expect((await run(['webhooks', 'delete', webhook.id])).status).toBe(0);
  });

  it('usage send (JSON lines, batched, idempotent), usage get and compliance get', async () => {
    const file = join(dir, 'usage.jsonl');
    const lines = Array.from({ length: 5 }, (_, i) =>
      JSON.stringify({
        account: 'acme',
        product: 'cvo',
        metric: 1,
        kind: 'delta',
        value: i + 1,
        at: `2026-11-1${String(i + 5)}T10:00:00Z`,
      }),
    );
    lines.push(
      JSON.stringify({
        account: 'acme',
        product: 'cvo',
        metric: 99,
        kind: 'delta',
        value: 1,
        at: '2026-11-20T10:00:00Z',
      }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const first = await run(['usage', 'send', file, '--batch-size', '2']);
    expect(first.status).toBe(1); // one record rejected
    expect(first.stdout).toMatch(
      /^6 records: accepted 5, duplicates 0, rejected 1\n {2}record 6 \(line-[0-9a-f]+\): metric: /,
    );
    expect(first.stderr).toBe('sent 2/6 records\nsent 4/6 records\nsent 6/6 records\n');
    const again = await run(['usage', 'send', file, '--json']);
    expect(json<{ accepted: number; duplicates: number }>(again)).toMatchObject({
      accepted: 0,
      duplicates: 5,
    });
    const stdin = await run(
      ['usage', 'send', '-'],
      {},
      `${JSON.stringify({ id: 'stdin-1', account: 'acme', product: 'cvo', metric: 1, kind: 'delta', value: 100, at: '2026-11-22T12:00:00Z' })}\n`,
    );
    expect(stdin.status).toBe(0);

    const report = await run([
      'usage',
      'get',
      'acme',
      '--product',
      'cvo',
      '--metric',
      '1',
      '--from',
      '2026-11-01T00:00:00Z',
      '--json',
    ]);
    expect(json<{ consumption: { deltas: number } }>(report).consumption.deltas).toBe(115);
    const compliance = await run(['compliance', 'get', 'acme']);
    expect(compliance.status).toBe(0);
    expect(compliance.stdout).toMatch(/^PRODUCT\s+METRICID\s+UNIT/);
    expect(compliance.stdout).toMatch(/\noverall: (VALID|WARNING|NON_COMPLIANT)\n$/);
  });

  it('profiles: set, list, use; flags beat the environment, which beats the profile', async () => {
    const bare = { ENTITLE_URL: '', ENTITLE_TOKEN: '' };
    expect(
      (
        await run(
          ['profile', 'set', 'local', '--url', harness.url, '--token', harness.operator],
          bare,
        )
      ).status,
    ).toBe(0);
    expect(
      (await run(['profile', 'set', 'broken', '--url', 'http://127.0.0.1:9'], bare)).status,
    ).toBe(0);
    const config = join(dir, 'config', 'entitle', 'config.json');
    expect(statSync(config).mode & 0o777).toBe(0o600);
    const list = await run(['profile', 'list'], bare);
    expect(list.stdout).toMatch(
      /^CURRENT\s+NAME\s+URL\s+TOKEN\n\*\s+local\s+http:\/\/127\.0\.0\.1:\d+\s+yes\n\s+broken\s+http:\/\/127\.0\.0\.1:9\s+no\n$/,
    );
    expect(list.stdout).not.toContain(harness.operator);
    expect((await run(['accounts', 'get', 'acme'], bare)).status).toBe(0);
    expect((await run(['accounts', 'get', 'acme', '--profile', 'broken'], bare)).status).toBe(1);
    expect((await run(['profile', 'use', 'broken'], bare)).status).toBe(0);
    expect((await run(['accounts', 'get', 'acme'], bare)).status).toBe(1);
    expect((await run(['accounts', 'get', 'acme'], { ENTITLE_TOKEN: '' })).status).toBe(4); // env URL, no token
    expect(
      (
        await run(
          ['--url', harness.url, '--token', harness.operator, 'accounts', 'get', 'acme'],
          bare,
        )
      ).status,
    ).toBe(0);
    expect((await run(['accounts', 'get', 'acme', '--profile', 'nope'], bare)).status).toBe(2);
    expect((await run(['profile', 'use', 'nope'], bare)).status).toBe(2);
  });

  it('completion: bash and zsh scripts that know the commands', async () => {
    const bash = await run(['completion', 'bash']);
    expect(bash.status).toBe(0);
    expect(bash.stdout).toContain('complete -o default -F _entitle_complete entitle');
    expect(bash.stdout).toContain(
      '"licenses") words="list get create update delete validate revoke certificate import',
    );
    const zsh = await run(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef entitle\n/);
    expect((await run(['completion', 'fish'])).status).toBe(2);
  });
});

describe('entitle licenses import', () => {
  it('imports 10,000 rows in batches with plain progress lines when not on a terminal', async () => {
    const file = join(dir, 'licenses.csv');
    licensesCsv(file, 100_000, 10_000);
    const result = await run(['licenses', 'import', file, '--batch-size', '500']);
    expect(result.stderr.split('\n').filter((l) => l !== '')).toEqual([
      'progress: 0/10000 rows (0%) created 0 exists 0 failed 0',
      ...Array.from({ length: 10 }, (_, i) => {
        const done = (i + 1) * 1000;
        return `progress: ${String(done)}/10000 rows (${String((i + 1) * 10)}%) created ${String(done)} exists 0 failed 0`;
      }),
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      `imported ${file}: 10000 rows — created 10000, exists 0, skipped 0 (done earlier), failed 0\nper-row results: ${file}.results.csv\n`,
    );
    expect(await countLicenses('serialNumber gte 100000 and serialNumber lt 110000')).toBe(10_000);
    const report = readFileSync(`${file}.results.csv`, 'utf8').trimEnd().split('\n');
    expect(report).toHaveLength(10_001);
    expect(report[0]).toBe('row,serialNumber,result,id,detail');
    expect(report[1]).toMatch(/^1,100000,created,license-100000-[0-9a-f-]{36},$/);

    // Run again: every row is skipped from the state file, nothing is sent.
    const again = await run(['licenses', 'import', file, '--json']);
    expect(again.status).toBe(0);
    expect(json<{ skipped: number; created: number }>(again)).toMatchObject({
      skipped: 10_000,
      created: 0,
    });
  }, 90_000);

  it('reports bad rows one by one and exits 1', async () => {
    const file = join(dir, 'mixed.csv');
    writeFileSync(
      file,
      'serialNumber,accountId,product,quantity\n200001,acme,cvo,1\n200002,acme,nope,1\nabc,acme,cvo,1\n500,acme,cvo,1\n',
    );
    const result = await run(['licenses', 'import', file, '--json']);
    expect(result.status).toBe(1);
    expect(json<Record<string, number>>(result)).toMatchObject({
      rows: 4,
      created: 1,
      exists: 1,
      failed: 2,
    });
    const report = readFileSync(`${file}.results.csv`, 'utf8');
    expect(report).toContain(
      '2,200002,failed,,Invalid request body; product: no such product: nope',
    );
    expect(report).toContain("3,,failed,,serialNumber: not an integer: 'abc'");
    expect(report).toContain('4,500,exists,,serial number already imported');
    const bad = await run(['licenses', 'import', join(dir, 'missing.csv')]);
    expect(bad.status).toBe(2);
    writeFileSync(join(dir, 'cols.csv'), 'serial,acct\n1,2\n');
    const columns = await run(['licenses', 'import', join(dir, 'cols.csv')]);
    expect(columns.status).toBe(2);
    expect(columns.stderr).toContain('unknown column(s) serial, acct');
  });

  it('an import killed mid-way and run again creates every row exactly once', async () => {
    const file = join(dir, 'interrupted.csv');
    licensesCsv(file, 300_000, 2000);
    const child = spawn(
      process.execPath,
      [CLI, 'licenses', 'import', file, '--batch-size', '100'],
      { env },
    );
    let stderr = '';
    await new Promise<void>((resolvePromise) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Kill it hard (no chance to save anything) once it is well under way.
        if (/progress: \d+\/2000 rows \(20%\)/.test(stderr) && child.exitCode === null)
          child.kill('SIGKILL');
      });
      child.on('close', () => {
        resolvePromise();
      });
    });
    const before = await countLicenses('serialNumber gte 300000 and serialNumber lt 310000');
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(2000);

    const resumed = await run(['licenses', 'import', file, '--batch-size', '100', '--json']);
    expect(resumed.status).toBe(0);
    const summary = json<{
      rows: number;
      created: number;
      exists: number;
      skipped: number;
      failed: number;
    }>(resumed);
    expect(summary.rows).toBe(2000);
    expect(summary.failed).toBe(0);
    expect(summary.skipped).toBeGreaterThan(0);
    expect(summary.skipped + summary.exists + summary.created).toBe(2000);
    expect(summary.created).toBe(2000 - before);
    expect(await countLicenses('serialNumber gte 300000 and serialNumber lt 310000')).toBe(2000);
    const report = readFileSync(`${file}.results.csv`, 'utf8').trimEnd().split('\n');
    expect(report).toHaveLength(2001);
  }, 60_000);

  it('stops cleanly after the current batch on SIGINT, and resumes', async () => {
    const file = join(dir, 'ctrl-c.csv');
    licensesCsv(file, 400_000, 1000);
    const child = spawn(
      process.execPath,
      [CLI, 'licenses', 'import', file, '--batch-size', '100'],
      { env },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let interrupted = false;
    const status = await new Promise<number | null>((resolvePromise) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('(10%)') && !interrupted) {
          interrupted = true;
          child.kill('SIGINT');
        }
      });
      child.on('close', resolvePromise);
    });
    expect(status).toBe(130);
    expect(stdout).toMatch(/^interrupted /);
    expect(stderr).toContain('interrupted: run the same command again to continue');
    const resumed = await run(['licenses', 'import', file, '--json']);
    const summary = json<{ created: number; exists: number; skipped: number }>(resumed);
    expect(summary.exists).toBe(0); // the state file was complete: nothing sent twice
    expect(summary.skipped + summary.created).toBe(1000);
    expect(await countLicenses('serialNumber gte 400000 and serialNumber lt 410000')).toBe(1000);
  }, 60_000);
});
