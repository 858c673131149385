import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { LOG_REDACT_PATHS, requestForLog } from '../../src/http/log.js';
import type { App } from '../../src/http/types.js';
import { systemPrincipal } from '../../src/domain/principal.js';
import { createHarness, type Harness } from '../helpers/harness.js';

/**
 * A real listening server for the vendor-login suites: the harness's services and fixed clock
 * behind a second app built with the production log settings (redaction, request serializer) at
 * trace level, listening on 127.0.0.1 with an ephemeral port. Clients talk to it with `fetch`.
 */
export interface LoginServer {
  h: Harness;
  app: App;
  base: string;
  /** Every log line the server wrote. */
  log: string[];
  close(): Promise<void>;
  /** Fails the test when any log line holds one of the secrets. */
  expectLogFreeOf(...secrets: string[]): void;
}

export async function startLoginServer(): Promise<LoginServer> {
  const h = await createHarness();
  const log: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== ''),
      );
      done();
    },
  });
  const app = await buildApp({
    services: h.services,
    clock: h.clock,
    logger: {
      level: 'trace',
      stream,
      redact: LOG_REDACT_PATHS,
      serializers: { req: requestForLog },
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    h,
    app,
    base: `http://127.0.0.1:${String(port)}`,
    log,
    async close() {
      await app.close();
      await h.close();
    },
    expectLogFreeOf(...secrets) {
      expect(log.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        const leaks = log.filter((line) => line.includes(secret));
        expect(leaks, `log lines holding '${secret.slice(0, 12)}…'`).toEqual([]);
      }
    },
  };
}

export const system = (h: Harness) => ({
  principal: systemPrincipal,
  requestId: null,
  clock: h.clock,
});

/** Creates a local user through the native API, as an operator would. */
export async function createUser(
  h: Harness,
  user: { username: string; password: string; accountId: string; role: string; instance?: string },
): Promise<void> {
  const response = await h.request({ method: 'POST', url: '/v1/users', body: user });
  expect(response.statusCode, response.body).toBe(201);
}
