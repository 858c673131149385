import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { inject } from 'vitest';
import type { TokenConfig } from '../../src/config.js';
import { fixedClock } from '../../src/domain/clock.js';
import { systemPrincipal, type Role } from '../../src/domain/principal.js';
import { buildApp } from '../../src/http/app.js';
import type { ApiRateLimit } from '../../src/http/plugins/rate-limit.js';
import type { App } from '../../src/http/types.js';
import { createServices, type ServiceOptions, type Services } from '../../src/services/index.js';
import {
  loadTokenKeys,
  readOrCreateSecret,
  type TokenKeys,
} from '../../src/services/token-keys.js';
import { openPostgresStore, openSqliteStore, type Store } from '../../src/store/database.js';
import { createDatabase, dropDatabase, TEMPLATE_DATABASE, testDialect } from './postgres.js';

export const T0 = '2026-11-23T12:00:00.000Z';

export interface Harness {
  app: App;
  store: Store;
  services: Services;
  keys: TokenKeys;
  tokenConfig: TokenConfig;
  clock: ReturnType<typeof fixedClock>;
  dir: string;
  /** The harness's database (`sqlite:<file>` or `postgres://…`): see `openStoreAt`. */
  databaseUrl: string;
  /** An operator token (accounts '*'). */
  operator: string;
  /** Mints a token through the token service (accounts must exist). */
  token(
    role: Role,
    accounts: '*' | string[],
    extra?: { instance?: string; subject?: string; ttlSeconds?: number },
  ): Promise<string>;
  /** Creates an account as the operator. */
  account(id: string, name?: string): Promise<void>;
  /** Registers an instance of an account; returns its id. */
  instance(accountId: string, fields?: { fingerprint?: string }): Promise<string>;
  request(options: RequestOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  url: string;
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestStore {
  store: Store;
  /** The database URL (`sqlite:<file>` or `postgres://…`), for a server process to open too. */
  url: string;
  /** Closes the store and removes its database. */
  close(): Promise<void>;
}

/**
 * A fresh, migrated store for one test: a SQLite file in `dir`, or, in the `postgres` project
 * (ENTITLE_TEST_DB=postgres), a database of its own on the run's cluster, copied from the migrated
 * template. Tests about behaviour open their store here, so they run on both dialects.
 */
export async function openTestStore(
  dir: string,
  dialect: 'sqlite' | 'postgres' = testDialect(),
  sqlite: { busyTimeoutMs?: number } = {},
): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const file = join(dir, 'entitle.db');
    const store = openSqliteStore({ file, ...sqlite });
    await store.migrate();
    return { store, url: `sqlite:${file}`, close: () => store.close() };
  }
  const adminUrl = inject('postgresAdminUrl');
  const name = await createDatabase(adminUrl, TEMPLATE_DATABASE);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const store = openPostgresStore({ url: url.toString(), poolSize: 5 });
  await store.migrate();
  return {
    store,
    url: url.toString(),
    async close() {
      await store.close();
      await dropDatabase(adminUrl, name);
    },
  };
}

/** Opens another store on a test database (e.g. to check what survives closing it). */
export function openStoreAt(url: string): Store {
  return url.startsWith('sqlite:')
    ? openSqliteStore({ file: url.slice('sqlite:'.length) })
    : openPostgresStore({ url, poolSize: 2 });
}

/**
 * A fresh server on a fresh database (SQLite file in a temp dir, or a PostgreSQL database in the
 * `postgres` project), with a fixed clock.
 */
export async function createHarness(
  options: {
    tokenConfig?: Partial<TokenConfig>;
    services?: Partial<ServiceOptions>;
    /** The database, whatever the test project (moving data between them is a test). */
    dialect?: 'sqlite' | 'postgres';
    /** Runs on the fresh, empty store before the harness writes anything (e.g. an import). */
    prepare?: (store: Store) => Promise<void>;
    /** The API-wide rate limit (none unless given, as in `buildApp`). */
    rateLimit?: ApiRateLimit;
    /** SQLite's busy timeout (the store's default is 5 s). */
    sqliteBusyTimeoutMs?: number;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'entitle-test-'));
  const opened = await openTestStore(
    dir,
    options.dialect,
    options.sqliteBusyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.sqliteBusyTimeoutMs },
  );
  const store = opened.store;
  await options.prepare?.(store);
  const clock = fixedClock(T0);
  const tokenConfig: TokenConfig = {
    issuer: 'entitle',
    audience: 'entitle',
    secretFile: join(dir, 'token-secret'),
    ...options.tokenConfig,
  };
  const keys = loadTokenKeys(tokenConfig);
  const services = createServices(store, keys, {
    keySecret: readOrCreateSecret(join(dir, 'license-key-secret')),
    ...options.services,
  });
  const app = await buildApp({ services, clock, rateLimit: options.rateLimit });
  const system = { principal: systemPrincipal, requestId: null, clock };

  const token: Harness['token'] = async (role, accounts, extra = {}) =>
    (
      await services.tokens.issue(system, {
        subject: extra.subject ?? `${role}-test`,
        role,
        accounts,
        instance: extra.instance,
        ttlSeconds: extra.ttlSeconds,
      })
    ).token;
  const operator = keys.canSign ? await token('operator', '*', { subject: 'operator-test' }) : '';

  const request = (req: RequestOptions) => {
    const headers: Record<string, string> = { ...req.headers };
    const bearer = req.token === undefined ? operator : req.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    return app.inject({
      method: req.method,
      url: req.url,
      headers,
      ...(req.body === undefined ? {} : { payload: req.body as Record<string, unknown> }),
    });
  };

  return {
    app,
    store,
    services,
    keys,
    tokenConfig,
    clock,
    dir,
    databaseUrl: opened.url,
    operator,
    token,
    async account(id, name = `Account ${id}`) {
      const response = await request({ method: 'POST', url: '/v1/accounts', body: { id, name } });
      if (response.statusCode !== 201) throw new Error(`account ${id}: ${response.body}`);
    },
    async instance(accountId, fields = {}) {
      return (await services.instances.create(system, { accountId, ...fields })).id;
    },
    request,
    async close() {
      await app.close();
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parses a response body as JSON, typed as the test expects it to be. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed cast is the point
export function json<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return JSON.parse(response.body) as T;
}
