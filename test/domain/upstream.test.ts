import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  afterSuccess,
  changedFacts,
  CIRCUIT_FAILURES,
  CIRCUIT_OPEN_MS,
  circuitOpen,
  connected,
  fetchMessage,
  FETCH_UNAVAILABLE,
  NEVER_CONTACTED,
  type UpstreamHealth,
} from '../../src/domain/upstream.js';

const T0 = new Date('2026-11-23T12:00:00Z');

describe('the upstream circuit breaker', () => {
  it('opens after CIRCUIT_FAILURES failures in a row, for CIRCUIT_OPEN_MS; a success closes it', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 30 }), (outcomes) => {
        let health: UpstreamHealth = NEVER_CONTACTED;
        let run = 0;
        for (const ok of outcomes) {
          health = ok ? afterSuccess(health, T0) : afterFailure(health, T0, 'down');
          run = ok ? 0 : run + 1;
          expect(health.consecutiveFailures).toBe(run);
          expect(circuitOpen(health, T0)).toBe(run >= CIRCUIT_FAILURES);
          expect(connected(health)).toBe(ok);
          if (run >= CIRCUIT_FAILURES) {
            expect(circuitOpen(health, new Date(T0.getTime() + CIRCUIT_OPEN_MS - 1))).toBe(true);
            expect(circuitOpen(health, new Date(T0.getTime() + CIRCUIT_OPEN_MS))).toBe(false);
          }
        }
      }),
    );
  });

  it('keeps the last contact through failures', () => {
    const contacted = afterSuccess(NEVER_CONTACTED, T0);
    const failed = afterFailure(contacted, new Date('2026-11-23T13:00:00Z'), 'ECONNREFUSED');
    expect(failed).toMatchObject({
      lastContactAt: T0.toISOString(),
      lastAttemptAt: '2026-11-23T13:00:00.000Z',
      lastError: 'ECONNREFUSED',
    });
    expect(connected(NEVER_CONTACTED)).toBe(false);
  });
});

describe('fetch results', () => {
  it("answers NetProfiler's message unless something was fetched", () => {
    expect(fetchMessage(false, 0)).toBe(FETCH_UNAVAILABLE);
    expect(fetchMessage(true, 0)).toBe(FETCH_UNAVAILABLE);
    expect(fetchMessage(true, 1)).toBe('Fetched 1 license from the license server.');
    expect(fetchMessage(true, 3)).toBe('Fetched 3 licenses from the license server.');
  });

  it('names the facts that differ', () => {
    const facts = {
      kind: 'node' as const,
      term: 'PERPETUAL' as const,
      state: 'active' as const,
      service: null,
      group: null,
      metricId: null,
      quantity: 1,
      features: ['A'],
      baseLicense: false,
      description: 'x',
      startsAt: null,
      expiresAt: null,
      graceDays: 0,
      seatLimit: null,
      orderId: null,
      sku: null,
    };
    expect(changedFacts(facts, { ...facts })).toEqual([]);
    expect(changedFacts(facts, { ...facts, state: 'revoked', features: ['A', 'B'] })).toEqual([
      'state',
      'features',
    ]);
  });
});
