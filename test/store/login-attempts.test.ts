import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import {
  InvalidCredentials,
  LOGIN_WINDOW_SECONDS,
  LoginThrottled,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_USERNAME,
  nextFailureWindow,
  staleWindowStart,
  type FailureWindow,
} from '../../src/domain/user.js';
import { countAttempt } from '../../src/store/users.repository.js';
import { createHarness, T0, type Harness } from '../helpers/harness.js';

/**
 * The failed-login throttle counts an attempt in the database before its password is checked, in
 * one upsert per key, so concurrent guesses cannot all slip under the limit. Runs on SQLite and
 * PostgreSQL.
 */

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  await h.services.users.create(
    { principal: systemPrincipal, requestId: null, clock: h.clock },
    { username: 'ops', password: 'correct horse battery', accountId: 'acme', role: 'viewer' },
  );
});
afterEach(async () => {
  await h.close();
});

const login = (password: string, address: string) =>
  h.services.users.checkCredentials({ username: 'ops', password, address }, h.clock);

/** How each attempt ended: `ok`, `invalid` (password checked, wrong) or `throttled` (429). */
async function outcome(attempt: Promise<unknown>): Promise<'ok' | 'invalid' | 'throttled'> {
  try {
    await attempt;
    return 'ok';
  } catch (error) {
    if (error instanceof InvalidCredentials) return 'invalid';
    if (error instanceof LoginThrottled) return 'throttled';
    throw error;
  }
}

describe('login attempts', () => {
  it('the upsert follows the domain’s window rule for any sequence of attempts', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 2 * LOGIN_WINDOW_SECONDS * 1000 }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (gaps) => {
          const key = `user:property-${String(run++)}`;
          let at = Date.parse(T0);
          let expected: FailureWindow | undefined;
          for (const gap of gaps) {
            at += gap;
            const now = new Date(at);
            expected = nextFailureWindow(expected, now);
            const counted = await h.store.transaction('test.attempt', (tx) =>
              countAttempt(tx, key, now.toISOString(), staleWindowStart(now).toISOString()),
            );
            expect(counted).toEqual(expected);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('60 concurrent wrong passwords for one user: 5 are checked, 55 are refused with 429', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        outcome(login('wrong password!', `10.0.1.${String(i)}`)),
      ),
    );
    expect(outcomes.filter((o) => o === 'invalid')).toHaveLength(MAX_FAILURES_PER_USERNAME);
    expect(outcomes.filter((o) => o === 'throttled')).toHaveLength(60 - MAX_FAILURES_PER_USERNAME);
    // The right password too, until the window ends.
    expect(await outcome(login('correct horse battery', '10.0.2.1'))).toBe('throttled');
    h.clock.advance(LOGIN_WINDOW_SECONDS * 1000);
    expect(await outcome(login('correct horse battery', '10.0.2.1'))).toBe('ok');
  });

  it('one address: concurrent guesses stop at its limit, and successes never count against it', async () => {
    // Many good logins from one address (a NAT, a management station) are not failures.
    for (let i = 0; i < 3 * MAX_FAILURES_PER_ADDRESS; i++) {
      expect(await outcome(login('correct horse battery', '10.0.3.1'))).toBe('ok');
    }
    const guesses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        outcome(
          h.services.users.checkCredentials(
            { username: `nobody-${String(i)}`, password: 'wrong password!', address: '10.0.3.1' },
            h.clock,
          ),
        ),
      ),
    );
    expect(guesses.filter((o) => o === 'invalid')).toHaveLength(MAX_FAILURES_PER_ADDRESS);
    expect(guesses.filter((o) => o === 'throttled')).toHaveLength(50 - MAX_FAILURES_PER_ADDRESS);
  });
});
