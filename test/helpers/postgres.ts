import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster for tests and benchmarks, from Debian's `postgresql` package:
 * `initdb` into a temp dir, `pg_ctl start` on a free loopback port (its socket in the same temp
 * dir, so it never touches /var/run/postgresql), fsync off. When we run as root the server runs as
 * the `postgres` OS user, as PostgreSQL refuses to run as root. `stop()` kills it and removes the
 * dir.
 */
export interface PostgresCluster {
  port: number;
  /** A URL of the cluster's `postgres` database, as the superuser `postgres` (trust auth). */
  adminUrl: string;
  /** The URL of a database of this cluster. */
  url(database: string): string;
  stop(): void;
}

/** The folder holding `initdb` and `pg_ctl` (the newest installed version), if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

const isRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
function runAsPostgres(command: string, args: string[]): void {
  const [file, argv] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${command} failed (${String(result.status)}): ${result.stderr || result.stdout}`,
    );
  }
}

/** Starts a fresh cluster; throws when the binaries are missing or it does not start. */
export async function startPostgresCluster(
  options: { maxConnections?: number } = {},
): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (bin === undefined) {
    throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql/*/bin');
  }
  const dir = mkdtempSync(join(tmpdir(), 'entitle-pg-'));
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    runAsPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      // C collation: text sorts by code point, as SQLite does, so list orders are identical.
      '--locale=C',
      '--no-sync',
    ]);
    const settings = [
      `-p ${String(port)}`,
      '-c listen_addresses=127.0.0.1',
      `-k ${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      `-c max_connections=${String(options.maxConnections ?? 400)}`,
    ].join(' ');
    runAsPostgres(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-o',
      settings,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = (database: string) => `postgres://postgres@127.0.0.1:${String(port)}/${database}`;
  return {
    port,
    adminUrl: url('postgres'),
    url,
    stop() {
      try {
        runAsPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Runs statements on a database of the cluster over one short-lived connection. */
export async function adminQuery(url: string, statements: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A fresh, uniquely named database, copied from `template` (which must have no connections). */
export async function createDatabase(adminUrl: string, template?: string): Promise<string> {
  const name = `t_${randomBytes(8).toString('hex')}`;
  await adminQuery(adminUrl, [
    // file_copy: twice as fast as the default WAL-logged copy for a small template (fsync off).
    `create database ${name}${template === undefined ? '' : ` template ${template} strategy file_copy`}`,
  ]);
  return name;
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, [`drop database if exists ${name} with (force)`]);
}

/** The name of the database the test setup migrates once and every test database copies. */
export const TEMPLATE_DATABASE = 'entitle_template';

/** Which database the tests of this run use (`ENTITLE_TEST_DB=postgres`, set by the vitest project). */
export function testDialect(): 'sqlite' | 'postgres' {
  return process.env.ENTITLE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}
