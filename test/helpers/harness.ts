import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import type { TokenConfig } from '../../src/config.js';
import { fixedClock } from '../../src/domain/clock.js';
import { systemPrincipal, type Role } from '../../src/domain/principal.js';
import { buildApp } from '../../src/http/app.js';
import type { App } from '../../src/http/types.js';
import { createServices, type ServiceOptions, type Services } from '../../src/services/index.js';
import {
  loadTokenKeys,
  readOrCreateSecret,
  type TokenKeys,
} from '../../src/services/token-keys.js';
import { openSqliteStore, type Store } from '../../src/store/database.js';

export const T0 = '2026-11-23T12:00:00.000Z';

export interface Harness {
  app: App;
  store: Store;
  services: Services;
  keys: TokenKeys;
  tokenConfig: TokenConfig;
  clock: ReturnType<typeof fixedClock>;
  dir: string;
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

/** A fresh server on a fresh SQLite file in a temp dir, with a fixed clock. */
export async function createHarness(
  options: { tokenConfig?: Partial<TokenConfig>; services?: Partial<ServiceOptions> } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'entitle-test-'));
  const store = openSqliteStore({ file: join(dir, 'entitle.db') });
  await store.migrate();
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
  const app = await buildApp({ services, clock });
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
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parses a response body as JSON, typed as the test expects it to be. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed cast is the point
export function json<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return JSON.parse(response.body) as T;
}
