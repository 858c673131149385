import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secretBox } from '../../src/services/secret-box.js';

describe('secret box', () => {
  const box = secretBox(randomBytes(32));

  it('opens what it sealed, for the same row, whatever the secret', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.uuid(), (plain, id) => {
        const sealed = box.seal(plain, `webhook:${id}`);
        expect(box.isSealed(sealed)).toBe(true);
        expect(box.open(sealed, `webhook:${id}`)).toBe(plain);
      }),
    );
  });

  it('never stores the secret in the clear, and seals the same secret differently each time', () => {
    const secret = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LTEyMzQ1Njc4';
    const [a, b] = [box.seal(secret, 'webhook:1'), box.seal(secret, 'webhook:1')];
    expect(a).not.toContain(secret);
    expect(a).not.toContain(Buffer.from(secret).toString('base64url'));
    expect(a).not.toBe(b);
  });

  it("refuses another row's sealed secret and another data dir's, saying why", () => {
    const sealed = box.seal('token', 'upstream:acme');
    expect(() => box.open(sealed, 'upstream:globex')).toThrow(
      /upstream:globex.*license-key secret/,
    );
    expect(() => secretBox(randomBytes(32)).open(sealed, 'upstream:acme')).toThrow(/does not open/);
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'BB' : 'AA');
    expect(() => box.open(tampered, 'upstream:acme')).toThrow(/does not open/);
  });

  it('gives back a value stored before sealing existed as it is', () => {
    expect(box.isSealed('whsec_plain')).toBe(false);
    expect(box.open('whsec_plain', 'webhook:1')).toBe('whsec_plain');
  });
});
