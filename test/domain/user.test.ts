import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accessCodeOfAssertion,
  checkUserInput,
  failureKeys,
  formatPasswordHash,
  LOGIN_WINDOW_SECONDS,
  MAX_FAILURES_PER_USERNAME,
  nextFailureWindow,
  parsePasswordHash,
  principalOfUser,
  retryAfterSeconds,
  type User,
} from '../../src/domain/user.js';

const T = new Date('2026-11-23T12:00:00.000Z');
const later = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const b64url = (text: string) => Buffer.from(text).toString('base64url');

describe('user input rules', () => {
  const base = { username: 'u', password: 'password1', accountId: 'acme' } as const;
  it('an instance user names its instance; no other user does', () => {
    expect(checkUserInput({ ...base, role: 'instance', instance: 'i-1' })).toEqual([]);
    expect(checkUserInput({ ...base, role: 'instance' })).toEqual([
      { name: 'instance', reason: 'instance users are bound to one instance' },
    ]);
    expect(checkUserInput({ ...base, role: 'admin', instance: 'i-1' })).toEqual([
      { name: 'instance', reason: 'only instance users carry an instance' },
    ]);
    expect(checkUserInput({ ...base, role: 'viewer' })).toEqual([]);
  });

  it("a user's principal carries its account, role, type and instance", () => {
    const user: User = {
      username: 'ctl',
      accountId: 'acme',
      role: 'instance',
      instance: 'i-1',
      createdAt: T.toISOString(),
      updatedAt: T.toISOString(),
      passwordChangedAt: T.toISOString(),
    };
    expect(principalOfUser(user)).toEqual({
      subject: 'ctl',
      role: 'instance',
      accounts: ['acme'],
      type: 'service',
      instance: 'i-1',
    });
    expect(principalOfUser({ ...user, role: 'admin', instance: null })).toMatchObject({
      type: 'user',
      instance: undefined,
    });
  });
});

describe('password hash format', () => {
  it('round-trips any parameters, salt and hash', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1 << 20 }),
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 1, max: 16 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (N, r, p, salt, hash) => {
          const stored = formatPasswordHash({
            N,
            r,
            p,
            salt: Buffer.from(salt),
            hash: Buffer.from(hash),
          });
          const parsed = parsePasswordHash(stored);
          expect(parsed).not.toBeNull();
          expect(parsed?.N).toBe(N);
          expect(parsed?.salt.equals(Buffer.from(salt))).toBe(true);
          expect(parsed?.hash.equals(Buffer.from(hash))).toBe(true);
        },
      ),
    );
  });

  it('refuses what it did not write', () => {
    for (const stored of [
      '',
      'plain',
      'bcrypt$1$2$3$a$b',
      'scrypt$0$8$1$AA==$AA==',
      'scrypt$x$8$1$AA==$AA==',
      'scrypt$16384$8$1$$AA==',
    ]) {
      expect(parsePasswordHash(stored), stored).toBeNull();
    }
  });
});

describe('failed-login windows', () => {
  it('counts failures in a fixed window and starts over when it ends', () => {
    let window = nextFailureWindow(undefined, T);
    expect(window).toEqual({ windowStart: T.toISOString(), count: 1 });
    window = nextFailureWindow(window, later(60));
    expect(window).toEqual({ windowStart: T.toISOString(), count: 2 });
    expect(nextFailureWindow(window, later(LOGIN_WINDOW_SECONDS))).toEqual({
      windowStart: later(LOGIN_WINDOW_SECONDS).toISOString(),
      count: 1,
    });
  });

  it('refuses only at the limit, until the window ends, and says how long', () => {
    const full = { windowStart: T.toISOString(), count: MAX_FAILURES_PER_USERNAME };
    const almost = { ...full, count: MAX_FAILURES_PER_USERNAME - 1 };
    expect(retryAfterSeconds(undefined, MAX_FAILURES_PER_USERNAME, T)).toBeNull();
    expect(retryAfterSeconds(almost, MAX_FAILURES_PER_USERNAME, T)).toBeNull();
    expect(retryAfterSeconds(full, MAX_FAILURES_PER_USERNAME, later(100))).toBe(
      LOGIN_WINDOW_SECONDS - 100,
    );
    expect(
      retryAfterSeconds(full, MAX_FAILURES_PER_USERNAME, later(LOGIN_WINDOW_SECONDS - 0.2)),
    ).toBe(1);
    expect(
      retryAfterSeconds(full, MAX_FAILURES_PER_USERNAME, later(LOGIN_WINDOW_SECONDS)),
    ).toBeNull();
  });

  it('keys usernames case-insensitively and addresses as given', () => {
    expect(failureKeys('Alice', '10.0.0.1')).toEqual({
      user: 'user:alice',
      address: 'addr:10.0.0.1',
    });
  });
});

describe('NetProfiler OAuth assertion', () => {
  const none = b64url('{"alg":"none"}');
  it('yields the access code of an unsigned envelope', () => {
    expect(accessCodeOfAssertion(`${none}.abc123.`)).toBe('abc123');
    expect(accessCodeOfAssertion(` ${b64url('{"alg":"none","typ":"JWT"}')}.x-y_z. `)).toBe('x-y_z');
  });

  it('refuses anything else', () => {
    for (const assertion of [
      '',
      'abc',
      `${none}.abc123`,
      `${none}..`,
      `${none}.abc.sig`,
      `${b64url('{"alg":"HS256"}')}.abc.`,
      `${b64url('not json')}.abc.`,
      `${b64url('"none"')}.abc.`,
      `${none}.a.b.`,
    ]) {
      expect(accessCodeOfAssertion(assertion), assertion).toBeNull();
    }
  });
});
