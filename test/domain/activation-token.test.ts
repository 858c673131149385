import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  activationTokenStatus,
  formatToken,
  licensesOfRedemption,
  normalizeToken,
  redemptionRefusal,
  tokenHash,
  TOKEN_RANDOM_BYTES,
  type ActivationTokenRecord,
} from '../../src/domain/activation-token.js';

const NOW = new Date('2026-11-23T12:00:00Z');

function record(fields: Partial<ActivationTokenRecord> = {}): ActivationTokenRecord {
  return {
    id: 'at_1',
    hint: 'ABCD',
    accountId: null,
    orderId: 'PO-1',
    count: 2,
    license: { product: 'p', durationDays: 30 },
    createdAt: '2026-11-01T00:00:00.000Z',
    expiresAt: '2026-12-01T00:00:00.000Z',
    redeemedAt: null,
    redeemedBy: null,
    licenseIds: [],
    revokedAt: null,
    ...fields,
  };
}

const randomBytes = fc.uint8Array({ minLength: TOKEN_RANDOM_BYTES, maxLength: TOKEN_RANDOM_BYTES });

describe('activation token text', () => {
  it('prints 100 bits as four groups of five Crockford symbols', () => {
    expect(formatToken(new Uint8Array(TOKEN_RANDOM_BYTES))).toBe('00000-00000-00000-00000');
    expect(formatToken(new Uint8Array(TOKEN_RANDOM_BYTES).fill(255))).toBe(
      'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ',
    );
  });

  it('hashes the same however it is typed: case, dashes, spaces, O/I/L look-alikes', () => {
    fc.assert(
      fc.property(randomBytes, fc.boolean(), (bytes, lower) => {
        const token = formatToken(bytes);
        const typed = token.replace(/-/g, ' ').replace(/0/g, 'O').replace(/1/g, 'I');
        expect(tokenHash(lower ? typed.toLowerCase() : typed)).toBe(tokenHash(token));
        expect(normalizeToken(typed)).toBe(token.replace(/-/g, ''));
      }),
    );
  });

  it('gives different tokens different hashes', () => {
    fc.assert(
      fc.property(randomBytes, randomBytes, (a, b) => {
        fc.pre(
          Buffer.compare(Buffer.from(a.subarray(0, 13)), Buffer.from(b.subarray(0, 13))) !== 0,
        );
        expect(tokenHash(formatToken(a))).not.toBe(tokenHash(formatToken(b)));
      }),
    );
  });
});

describe('redemption rules', () => {
  it('says why a token cannot be redeemed, in order: unknown, revoked, redeemed, expired', () => {
    expect(redemptionRefusal(undefined, 'acme', NOW)).toBe('unknown token');
    expect(redemptionRefusal(record({ accountId: 'globex' }), 'acme', NOW)).toBe('unknown token');
    expect(redemptionRefusal(record({ accountId: 'acme' }), 'acme', NOW)).toBeNull();
    expect(redemptionRefusal(record({ revokedAt: NOW.toISOString() }), 'acme', NOW)).toBe(
      'revoked',
    );
    expect(redemptionRefusal(record({ redeemedAt: NOW.toISOString() }), 'acme', NOW)).toBe(
      'already redeemed',
    );
    expect(redemptionRefusal(record(), 'acme', new Date('2026-12-01T00:00:00Z'))).toBe('expired');
    expect(activationTokenStatus(record(), new Date('2026-11-30T23:59:59Z'))).toBe('redeemable');
  });

  it('issues count licenses dated from the redemption', () => {
    const licenses = licensesOfRedemption(record(), 'acme', NOW);
    expect(licenses).toEqual([
      { product: 'p', accountId: 'acme', orderId: 'PO-1', expiresAt: '2026-12-23T12:00:00.000Z' },
      { product: 'p', accountId: 'acme', orderId: 'PO-1', expiresAt: '2026-12-23T12:00:00.000Z' },
    ]);
    const perpetual = licensesOfRedemption(
      record({ count: 1, license: { product: 'p', durationDays: null } }),
      'acme',
      NOW,
    );
    expect(perpetual[0]?.expiresAt).toBeNull();
  });
});
