import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import { allJobs } from '../../src/jobs/index.js';
import { createScheduler, type JobLogger } from '../../src/jobs/scheduler.js';
import { recordChange } from '../../src/services/audit.js';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { verifyCertificate } from '../../sdk/src/index.js';
import { createServices, type Services } from '../../src/services/index.js';
import { readOrCreateSecret } from '../../src/services/token-keys.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

/**
 * Housekeeping forgets what only grows with traffic: ended rate-limit windows, expired sessions,
 * stale failed-login windows and finished webhook deliveries past their retention; and keeps
 * everything still in use. Runs on SQLite and PostgreSQL.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const quiet: JobLogger = { debug: () => undefined, info: () => undefined, error: () => undefined };

let h: Harness;
const ctx = () => ({ principal: systemPrincipal, requestId: null, clock: h.clock });

beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  const product = await h.request({
    method: 'POST',
    url: '/v1/products',
    body: { slug: 'ctl', name: 'Controller' },
  });
  expect(product.statusCode, product.body).toBe(201);
});
afterEach(async () => {
  await h.close();
});

async function count(table: 'rate_counters' | 'user_sessions' | 'login_failures'): Promise<number> {
  const row = await h.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

/** A policy-bound license validated once: one rate-limit window row. */
async function validatedBoundLicense(): Promise<void> {
  const policy = await h.request({
    method: 'POST',
    url: '/v1/policies',
    body: { product: 'ctl', name: `p${String(h.clock.now().getTime())}` },
  });
  expect(policy.statusCode, policy.body).toBe(201);
  const license = await h.request({
    method: 'POST',
    url: '/v1/licenses',
    body: { accountId: 'acme', policy: json<{ id: string }>(policy).id },
  });
  expect(license.statusCode, license.body).toBe(201);
  const verdict = await h.request({
    method: 'POST',
    url: '/v1/licenses/validate',
    body: { key: json<{ key: string }>(license).key },
  });
  expect(verdict.statusCode, verdict.body).toBe(200);
}

/** An endpoint of acme's for `license.updated` (never called: nothing listens on port 9). */
async function webhook(): Promise<{ id: string; secret: string }> {
  const created = await h.request({
    method: 'POST',
    url: '/v1/webhooks',
    body: { accountId: 'acme', url: 'http://127.0.0.1:9/hook', eventTypes: ['license.updated'] },
  });
  expect(created.statusCode, created.body).toBe(201);
  return json<{ id: string; secret: string }>(created);
}

/** The services of another process on the same store and data dir (nothing cached). */
function freshServices(): Services {
  return createServices(h.store, h.keys, {
    keySecret: readOrCreateSecret(join(h.dir, 'license-key-secret')),
  });
}

async function publicKeys(services: Services) {
  return services.signingKeys.publishedKeys(h.clock.now());
}

/** Records a `license.updated` event of acme's (queued for its webhook endpoints). */
async function licenseUpdated(resourceId: string): Promise<void> {
  await h.store.transaction('test.event', (tx) =>
    recordChange(tx, ctx(), {
      type: 'license.updated',
      accountId: 'acme',
      resourceType: 'license',
      resourceId,
    }),
  );
}

describe('housekeeping', () => {
  it('forgets ended rate windows, expired sessions and stale login failures, and keeps live ones', async () => {
    await h.services.users.create(ctx(), {
      username: 'ops',
      password: 'correct horse battery',
      accountId: 'acme',
      role: 'viewer',
    });
    const login = (password: string, address: string) =>
      h.services.users.login({ username: 'ops', password, address }, h.clock, null);

    await validatedBoundLicense();
    await login('correct horse battery', '10.0.0.1');
    await expect(login('wrong password!', '10.0.0.2')).rejects.toThrow();
    expect(await count('rate_counters')).toBe(1);
    expect(await count('user_sessions')).toBe(1);
    // The username's window and both addresses' (the first's success was taken back: 0).
    expect(await count('login_failures')).toBe(3);

    // A day and three hours later: the session expired (it lives an hour) over a day ago, the
    // window and the failures are long over. The same again now: all of it is live.
    h.clock.advance(DAY + 3 * HOUR);
    await validatedBoundLicense();
    await login('correct horse battery', '10.0.0.1');
    await expect(login('wrong password!', '10.0.0.3')).rejects.toThrow();

    expect(await h.services.housekeeping.prune(ctx())).toEqual({
      rateCounters: 1,
      sessions: 1,
      loginFailures: 1, // the second address's; the others' windows started over
      webhookDeliveries: 0,
      secretsSealed: 0,
    });
    expect(await count('rate_counters')).toBe(1);
    expect(await count('user_sessions')).toBe(1);
    expect(await count('login_failures')).toBe(3);
    // Nothing left to forget: a second pass deletes nothing.
    expect(await h.services.housekeeping.prune(ctx())).toEqual({
      rateCounters: 0,
      sessions: 0,
      loginFailures: 0,
      webhookDeliveries: 0,
      secretsSealed: 0,
    });
  });

  it('deletes finished deliveries past the retention with their attempts, never pending ones', async () => {
    await webhook();
    // 2,500 old events, so the pass needs several batches; then one recent one.
    await h.store.transaction('test.events', async (tx) => {
      for (let i = 0; i < 2500; i++) {
        await recordChange(tx, ctx(), {
          type: 'license.updated',
          accountId: 'acme',
          resourceType: 'license',
          resourceId: `old-${String(i)}`,
        });
      }
    });
    const db = h.store.db;
    const deliveries = await db
      .selectFrom('webhook_deliveries')
      .select('id')
      .orderBy('id')
      .execute();
    expect(deliveries).toHaveLength(2500);
    const ids = deliveries.map((d) => d.id);
    const [pendingId] = ids;
    const finished = ids.slice(1);
    // Finished: half delivered, half failed, each with an attempt on record.
    for (const [i, id] of finished.entries()) {
      await db
        .updateTable('webhook_deliveries')
        .set({ status: i % 2 === 0 ? 'delivered' : 'failed' })
        .where('id', '=', id)
        .execute();
    }
    await db
      .insertInto('webhook_attempts')
      .values(
        ids.map((id) => ({
          delivery_id: id,
          attempt: 1,
          at: h.clock.now().toISOString(),
          status_code: 500,
          error: null,
          duration_ms: 3,
          response_body: null,
        })),
      )
      .execute();

    h.clock.advance(31 * DAY);
    await licenseUpdated('recent');
    const recent = await db
      .selectFrom('webhook_deliveries')
      .select('id')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    await db
      .updateTable('webhook_deliveries')
      .set({ status: 'delivered' })
      .where('id', '=', recent.id)
      .execute();

    // Run as the scheduler runs it: the job is among every server's jobs.
    const job = allJobs(h.services).find((j) => j.name === 'housekeeping');
    expect(job).toBeDefined();
    const scheduler = createScheduler({
      services: h.services,
      clock: h.clock,
      log: quiet,
      jobs: job === undefined ? [] : [job],
    });
    const [pass] = await scheduler.tick();
    expect(pass).toMatchObject({
      outcome: 'ok',
      summary: { webhookDeliveries: 2499 },
    });

    const left = await db.selectFrom('webhook_deliveries').select(['id', 'status']).execute();
    expect(left.map((d) => d.id).sort((a, b) => a - b)).toEqual([pendingId, recent.id]);
    const attempts = await db.selectFrom('webhook_attempts').select('delivery_id').execute();
    expect(attempts.map((a) => a.delivery_id)).toEqual([pendingId]);
  });

  it('stores webhook secrets and upstream tokens sealed, and seals the ones an older version stored in the clear', async () => {
    const hook = await webhook();
    const upstream = await h.request({
      method: 'PUT',
      url: '/v1/accounts/acme/upstream',
      body: { url: 'http://127.0.0.1:9/', token: 'upstream-service-token-0123456789' },
    });
    expect(upstream.statusCode, upstream.body).toBe(200);
    const stored = async () => ({
      secret: (
        await h.store.db
          .selectFrom('webhook_endpoints')
          .select('secret')
          .where('id', '=', hook.id)
          .executeTakeFirstOrThrow()
      ).secret,
      token: (
        await h.store.db
          .selectFrom('upstream_links')
          .select('token')
          .where('account_id', '=', 'acme')
          .executeTakeFirstOrThrow()
      ).token,
    });
    const sealed = await stored();
    expect(sealed.secret).toMatch(/^sealed:v1:/);
    expect(sealed.secret).not.toContain(hook.secret);
    expect(sealed.token).toMatch(/^sealed:v1:/);
    expect(sealed.token).not.toContain('upstream-service-token');

    // The certificate signing key is created sealed too, and a fresh process opens it.
    const license = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'acme', product: 'ctl' },
    });
    const licenseId = json<{ id: string }>(license).id;
    const certify = async (services: Services) => {
      const issued = await services.licenses.certificate(ctx(), licenseId, undefined);
      expect(
        verifyCertificate(issued.certificate, await publicKeys(services), { now: h.clock.now() }),
      ).toMatchObject({
        ok: true,
      });
    };
    await certify(h.services);
    const key = await h.store.db
      .selectFrom('signing_keys')
      .select('private_key')
      .executeTakeFirstOrThrow();
    expect(key.private_key).toMatch(/^sealed:v1:/);
    expect(key.private_key).not.toContain('PRIVATE KEY');
    await certify(freshServices());

    // As a version before sealing left them: in the clear (a retired signing key among them).
    // They still work, and the next pass seals them.
    await h.store.db
      .updateTable('webhook_endpoints')
      .set({ secret: hook.secret })
      .where('id', '=', hook.id)
      .execute();
    await h.store.db
      .updateTable('upstream_links')
      .set({ token: 'upstream-service-token-0123456789' })
      .where('account_id', '=', 'acme')
      .execute();
    const legacy = generateKeyPairSync('ed25519', {
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    await h.store.db
      .insertInto('signing_keys')
      .values({
        kid: 'legacy-key',
        algorithm: 'EdDSA',
        public_key: legacy.publicKey,
        private_key: legacy.privateKey,
        created_at: T0,
        retired_at: T0,
        signed_until: T0,
      })
      .execute();
    expect(await h.services.housekeeping.prune(ctx())).toMatchObject({ secretsSealed: 3 });
    const legacyKey = await h.store.db
      .selectFrom('signing_keys')
      .select('private_key')
      .where('kid', '=', 'legacy-key')
      .executeTakeFirstOrThrow();
    expect(legacyKey.private_key).toMatch(/^sealed:v1:/);
    const resealed = await stored();
    expect(resealed.secret).toMatch(/^sealed:v1:/);
    expect(resealed.token).toMatch(/^sealed:v1:/);
    expect(await h.services.housekeeping.prune(ctx())).toMatchObject({ secretsSealed: 0 });

    // The delivery worker reads the secret it signs with in the clear.
    await licenseUpdated('any');
    const [due] = await h.services.webhooks.due(ctx(), 10);
    expect(due?.secret).toBe(hook.secret);
  });
});
