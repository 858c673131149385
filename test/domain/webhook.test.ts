import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkWebhookFields,
  DEFAULT_RETRY_POLICY,
  newWebhookSecret,
  nominalRetryDelayMs,
  retryDelayMs,
  signWebhook,
  verifyWebhook,
  wantsEvent,
  webhookHeaders,
  webhookMessageId,
} from '../../src/domain/webhook.js';

const SECRET = newWebhookSecret(Buffer.alloc(24, 7));
const AT = new Date('2026-11-23T12:00:00.000Z');
const BODY = '{"type":"license.created","timestamp":"2026-11-23T12:00:00.000Z","data":{}}';

describe('webhook secrets and ids', () => {
  it('are whsec_ + base64 of 24 bytes, and msg_<event>_<endpoint>', () => {
    expect(SECRET).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(SECRET.slice(6), 'base64')).toHaveLength(24);
    expect(webhookMessageId(42, '0b7f0d2e-8c1b-4f7e-9a52-6f1d2b3c4d5e')).toBe(
      'msg_42_0b7f0d2e8c1b4f7e9a526f1d2b3c4d5e',
    );
  });
});

describe('webhook signatures (Standard Webhooks)', () => {
  const headers = webhookHeaders(SECRET, 'msg_1_ab', AT, BODY);

  it('sign HMAC-SHA256 over "<id>.<timestamp>.<body>" with the decoded secret', () => {
    const expected = createHmac('sha256', Buffer.alloc(24, 7))
      .update(`msg_1_ab.${String(AT.getTime() / 1000)}.${BODY}`)
      .digest('base64');
    expect(headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'Entitle-Webhooks/1',
      'webhook-id': 'msg_1_ab',
      'webhook-timestamp': String(AT.getTime() / 1000),
      'webhook-signature': `v1,${expected}`,
    });
    expect(signWebhook(SECRET, 'msg_1_ab', AT.getTime() / 1000, BODY)).toBe(`v1,${expected}`);
  });

  it('verify what was signed, within the tolerance', () => {
    expect(verifyWebhook(SECRET, headers, BODY, AT)).toEqual({
      ok: true,
      id: 'msg_1_ab',
      timestamp: AT.getTime() / 1000,
    });
    expect(verifyWebhook(SECRET, headers, BODY, new Date(AT.getTime() + 299_000)).ok).toBe(true);
  });

  it('accept any one of several space-separated signatures (secret rotation)', () => {
    const other = signWebhook(newWebhookSecret(Buffer.alloc(24, 9)), 'msg_1_ab', 1, BODY);
    const both = {
      ...headers,
      'webhook-signature': `${other} ${headers['webhook-signature'] ?? ''}`,
    };
    expect(verifyWebhook(SECRET, both, BODY, AT).ok).toBe(true);
  });

  it('reject a wrong secret, a tampered body or id, a stale timestamp, missing headers', () => {
    const wrong = newWebhookSecret(Buffer.alloc(24, 8));
    expect(verifyWebhook(wrong, headers, BODY, AT)).toEqual({ ok: false, code: 'BAD_SIGNATURE' });
    expect(verifyWebhook(SECRET, headers, BODY.replace('created', 'revoked'), AT)).toEqual({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
    expect(verifyWebhook(SECRET, { ...headers, 'webhook-id': 'msg_2_ab' }, BODY, AT).ok).toBe(
      false,
    );
    expect(verifyWebhook(SECRET, headers, BODY, new Date(AT.getTime() + 301_000))).toEqual({
      ok: false,
      code: 'STALE_TIMESTAMP',
    });
    expect(verifyWebhook(SECRET, headers, BODY, new Date(AT.getTime() - 301_000)).ok).toBe(false);
    expect(verifyWebhook(SECRET, { ...headers, 'webhook-timestamp': 'soon' }, BODY, AT)).toEqual({
      ok: false,
      code: 'STALE_TIMESTAMP',
    });
    const { 'webhook-signature': _dropped, ...unsigned } = headers;
    expect(verifyWebhook(SECRET, unsigned, BODY, AT)).toEqual({
      ok: false,
      code: 'MISSING_HEADERS',
    });
    expect(verifyWebhook(SECRET, { ...headers, 'webhook-signature': 'v2,abc' }, BODY, AT).ok).toBe(
      false,
    );
  });

  it('never verify a body that differs from the signed one (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (signed, received) => {
        fc.pre(signed !== received);
        const sent = webhookHeaders(SECRET, 'msg_1_ab', AT, signed);
        expect(verifyWebhook(SECRET, sent, signed, AT).ok).toBe(true);
        expect(verifyWebhook(SECRET, sent, received, AT).ok).toBe(false);
      }),
    );
  });
});

describe('webhook endpoint fields', () => {
  it('name each unknown event type and a non-http URL', () => {
    expect(
      checkWebhookFields({
        url: 'ftp://example.com/hook',
        eventTypes: ['license.created', 'license.exploded'],
      }),
    ).toEqual([
      { name: 'url', reason: 'must be an http or https URL' },
      { name: 'eventTypes.1', reason: 'unknown event type: license.exploded' },
    ]);
    expect(checkWebhookFields({ url: 'https://example.com/hook', eventTypes: ['*'] })).toEqual([]);
    expect(checkWebhookFields({ eventTypes: ['*', 'license.created'] })).toEqual([
      { name: 'eventTypes', reason: '"*" already means every event type' },
    ]);
  });

  it('match an event by type or by *', () => {
    expect(wantsEvent(['*'], 'charge.created')).toBe(true);
    expect(wantsEvent(['charge.created'], 'charge.created')).toBe(true);
    expect(wantsEvent(['charge.voided'], 'charge.created')).toBe(false);
  });
});

describe('the retry backoff', () => {
  const policy = DEFAULT_RETRY_POLICY;
  const attempts = fc.integer({ min: 1, max: 40 });
  const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it('follows 30 s × 4^(n−1), capped at 6 h, without jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n, 0.5))).toEqual([
      30_000, 120_000, 480_000, 1_920_000, 7_680_000, 21_600_000, 21_600_000,
    ]);
  });

  it('stays within ±20% of the nominal delay and never above the cap', () => {
    fc.assert(
      fc.property(attempts, random, (n, r) => {
        const delay = retryDelayMs(n, r);
        const nominal = nominalRetryDelayMs(n);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(nominal * (1 - policy.jitter)));
        expect(delay).toBeLessThanOrEqual(Math.ceil(nominal * (1 + policy.jitter)));
        expect(delay).toBeLessThanOrEqual(policy.capMs);
        expect(delay).toBeGreaterThan(0);
      }),
    );
  });

  it('has a monotone envelope: later attempts never wait less, for the same jitter', () => {
    fc.assert(
      fc.property(attempts, random, (n, r) => {
        expect(nominalRetryDelayMs(n + 1)).toBeGreaterThanOrEqual(nominalRetryDelayMs(n));
        expect(retryDelayMs(n + 1, r)).toBeGreaterThanOrEqual(retryDelayMs(n, r));
      }),
    );
  });

  it('holds for any policy, not only the default', () => {
    const policies = fc.record({
      baseMs: fc.integer({ min: 1, max: 600_000 }),
      factor: fc.integer({ min: 1, max: 10 }),
      capMs: fc.integer({ min: 1, max: 86_400_000 }),
      jitter: fc.double({ min: 0, max: 0.5, noNaN: true }),
      maxAttempts: fc.integer({ min: 1, max: 20 }),
    });
    fc.assert(
      fc.property(policies, attempts, random, (p, n, r) => {
        const delay = retryDelayMs(n, r, p);
        const nominal = nominalRetryDelayMs(n, p);
        expect(delay).toBeLessThanOrEqual(p.capMs);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(nominal * (1 - p.jitter)) - 1);
        expect(nominalRetryDelayMs(n + 1, p)).toBeGreaterThanOrEqual(nominal);
      }),
    );
  });
});
