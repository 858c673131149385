import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../src/store/migrations/index.js';

/**
 * The built `entitle` command, run as a user runs it: a real process, a real port, a real file.
 * `npm test` builds first; run `npm run build` before running this file alone.
 */
const CLI = resolve('dist/cli/main.js');
const dataDir = mkdtempSync(join(tmpdir(), 'entitle-cli-'));
const env = {
  ...process.env,
  ENTITLE_DATA_DIR: dataDir,
  ENTITLE_HOST: '127.0.0.1',
  ENTITLE_PORT: '0',
};

interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  banner: string;
  startupMs: number;
}

/** Starts `entitle serve` and resolves once it logs that it is ready. */
function serve(): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'serve'], { env });
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string; startupMs?: number };
        if (entry.msg === 'entitle is ready' && entry.url !== undefined) {
          resolvePromise({
            child,
            url: entry.url,
            banner: stdout
              .split('\n')
              .filter((l) => !l.startsWith('{'))
              .join('\n'),
            startupMs: entry.startupMs ?? -1,
          });
        }
      }
    });
    child.on('exit', (code) => {
      reject(new Error(`entitle serve exited with ${String(code)}: ${stderr}`));
    });
  });
}

function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolvePromise) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => {
      resolvePromise(code);
    });
    child.kill('SIGTERM');
  });
}

function run(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('entitle CLI', () => {
  let first: Started;

  it('serve: first start prints one operator token that works', async () => {
    first = await serve();
    const token = /(eyJ[\w-]+\.[\w-]+\.[\w-]+)/.exec(first.banner)?.[1];
    expect(token).toBeDefined();
    expect(first.banner).toContain('shown once');
    expect(first.startupMs).toBeGreaterThan(0);
    expect(statSync(join(dataDir, 'token-secret')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, 'entitle.db'))).toBe(true);

    const headers = { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/json' };
    const account = await fetch(`${first.url}/v1/accounts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ id: 'acme', name: 'Acme Corp' }),
    });
    expect(account.status).toBe(201);
    const product = await fetch(`${first.url}/v1/products`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        slug: 'cvo',
        name: 'Cloud Volumes ONTAP',
        metrics: [{ id: 1, name: 'Capacity', unit: 'TiB' }],
      }),
    });
    expect(product.status).toBe(201);
  });

  it('token create: mints a token the running server accepts', async () => {
    const result = run(
      'token',
      'create',
      '--role',
      'admin',
      '--accounts',
      'acme',
      '--subject',
      'acme-admin',
      '--ttl',
      '1h',
    );
    expect(result.status).toBe(0);
    const token = result.stdout.trim();
    expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(result.stderr).toMatch(/^token [0-9a-f-]{36} expires /);
    const mine = await fetch(`${first.url}/v1/accounts/acme`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(mine.status).toBe(200);
    const create = await fetch(`${first.url}/v1/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'not mine to make' }),
    });
    expect(create.status).toBe(403);
  });

  it('token create: explains what is wrong and exits 1 (2 for a usage mistake)', () => {
    const unknown = run('token', 'create', '--role', 'viewer', '--accounts', 'ghost');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('accounts: no such account: ghost');
    const role = run('token', 'create', '--role', 'king', '--accounts', '*');
    expect(role.status).toBe(2);
    expect(role.stderr).toContain('Allowed choices are operator, admin, viewer, service, instance');
    const ttl = run('token', 'create', '--role', 'operator', '--accounts', '*', '--ttl', 'forever');
    expect(ttl.status).toBe(2);
    expect(ttl.stderr).toContain('use seconds or a number with s, m, h or d');
    const short = run('token', 'create', '--role', 'operator', '--accounts', '*', '--ttl', '10');
    expect(short.status).toBe(1);
    expect(short.stderr).toBe(
      'entitle: invalid options:\n  --ttl: must be from 60 to 157680000 seconds\n',
    );
  });

  it('serve: stops cleanly on SIGTERM, and a second start prints no token', async () => {
    expect(await stop(first.child)).toBe(0);
    const second = await serve();
    try {
      expect(second.banner).not.toContain('eyJ');
      const health = await fetch(`${second.url}/readyz`);
      expect(await health.json()).toEqual({ status: 'ready' });
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
  });

  it('worker: runs the scheduled jobs without a listener and stops cleanly', async () => {
    // A data dir of its own: on the shared one the servers above already ran this period's pass.
    const fresh = mkdtempSync(join(tmpdir(), 'entitle-worker-'));
    const child = spawn(process.execPath, [CLI, 'worker'], {
      env: { ...env, ENTITLE_DATA_DIR: fresh, ENTITLE_LOG_LEVEL: 'debug' },
    });
    try {
      const passes = await new Promise<Record<string, unknown>[]>((resolvePromise, reject) => {
        let stdout = '';
        const timer = setTimeout(() => {
          reject(new Error(`no usage.prune pass within 15 s: ${stdout}`));
        }, 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const entries = stdout
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as Record<string, unknown>);
          if (entries.some((e) => e.msg === 'job pass done' && e.job === 'usage.prune')) {
            clearTimeout(timer);
            resolvePromise(entries);
          }
        });
        child.on('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`entitle worker exited with ${String(code)}`));
        });
      });
      expect(passes.map((e) => e.msg)).toContain('entitle worker is running');
      expect(await stop(child)).toBe(0);
    } finally {
      // Never leave a worker behind, whatever failed above.
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('migrate: applies the migrations to a new database, then reports it up to date', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'entitle-migrate-'));
    try {
      const data = join(fresh, 'data');
      const first = run('migrate', '--data-dir', data);
      expect(first.status).toBe(0);
      expect(first.stdout).toBe(
        Object.keys(migrations)
          .map((name) => `Success: ${name}\n`)
          .join(''),
      );
      expect(first.stdout).toContain('Success: 0001_foundation\n');
      expect(statSync(data).mode & 0o777).toBe(0o700);
      expect(run('migrate', '--data-dir', data).stdout).toBe('database is up to date\n');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('refuses a bad setting with one clear line', () => {
    const result = run('serve', '--port', 'eighty');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "entitle: configuration error: port must be an integer from 0 to 65535, got 'eighty'\n",
    );
  });
});
