import { EntitleError } from './errors.js';
import type { CheckedOut, CheckOutOptions, Lease, LeaseOutcome } from './types.js';

/**
 * Why a held lease was lost: its heartbeats were missed (`HEARTBEAT_DEAD`), it ran out
 * (`LEASE_EXPIRED`), it is gone (`LEASE_GONE`: reclaimed, checked in elsewhere, license deleted),
 * or the server refuses the heartbeat for another reason (`REFUSED`, e.g. the license is no longer
 * floating or the token was revoked). In every case the seat is no longer held: check out again.
 */
export type LeaseLoss = 'HEARTBEAT_DEAD' | 'LEASE_EXPIRED' | 'LEASE_GONE' | 'REFUSED';

/** Timers, injectable so tests drive the heartbeats without waiting. */
export interface HoldTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HoldOptions extends CheckOutOptions {
  /**
   * Seconds between heartbeats. Default: half the policy's `heartbeatSeconds` (one lost beat then
   * still leaves a whole interval of slack), else half the lease's length.
   */
  intervalSeconds?: number;
  /** Called once when the lease is lost; the heartbeats have stopped by then. */
  onLost?: (reason: LeaseLoss, error: EntitleError) => void;
  /**
   * A heartbeat failed for now (no answer after the SDK's retries, 5xx, 429): the next one is
   * tried at the next interval. The lease is still held unless the server says otherwise.
   */
  onError?: (error: unknown) => void;
  timers?: HoldTimers;
}

/** What the lease calls on the server; the `Entitle` client provides it. */
export interface LeaseCalls {
  checkOut(license: string | number, options: CheckOutOptions): Promise<CheckedOut>;
  heartbeat(license: string | number, leaseId: string): Promise<Lease>;
  checkIn(license: string | number, leaseId: string): Promise<void>;
  heartbeatSeconds(license: string | number): Promise<number | null | undefined>;
}

/** A lease kept alive by heartbeats until `release()` or until it is lost. */
export interface HeldLease {
  /** The lease as the last check-out or heartbeat answered it. */
  readonly lease: Lease;
  readonly id: string;
  readonly outcome: LeaseOutcome;
  /** With `borrow`: the certificate for offline use. */
  readonly certificate: string | undefined;
  readonly state: 'held' | 'lost' | 'released';
  /** Seconds between heartbeats. */
  readonly intervalSeconds: number;
  /** Sends one heartbeat now (the timer calls it); answers the extended lease, or undefined. */
  beat(): Promise<Lease | undefined>;
  /** Stops the heartbeats and checks the lease in (a lease already gone is fine). */
  release(): Promise<void>;
}

const unrefTimers: HoldTimers = {
  setTimeout(run, ms) {
    const handle = setTimeout(run, ms);
    // The heartbeat must never be what keeps a program alive: it ends when the program's work does.
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** The reason the server gives for a dead lease, or why else a heartbeat is refused for good. */
export function lossOf(error: unknown): LeaseLoss | undefined {
  if (!(error instanceof EntitleError)) return undefined;
  if (error.status === 404) return 'LEASE_GONE';
  if (error.status === 409) {
    const reasons = error.invalid.map((field) => field.reason);
    if (reasons.includes('HEARTBEAT_DEAD')) return 'HEARTBEAT_DEAD';
    if (reasons.includes('LEASE_EXPIRED')) return 'LEASE_EXPIRED';
    return 'REFUSED';
  }
  // 408 and 429 pass; a retry later may succeed. Any other 4xx will not get better.
  if (error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) {
    return 'REFUSED';
  }
  return undefined;
}

/**
 * Checks a floating license out and keeps the lease alive: see `entitle.leases.hold`.
 */
export async function holdLease(
  calls: LeaseCalls,
  license: string | number,
  options: HoldOptions = {},
): Promise<HeldLease> {
  const checked = await calls.checkOut(license, {
    instance: options.instance,
    ttlSeconds: options.ttlSeconds,
    borrow: options.borrow,
  });
  let intervalSeconds = options.intervalSeconds;
  if (intervalSeconds === undefined) {
    // Reading the policy is a nicety: a token that may not read it still gets a safe interval.
    const heartbeat = await calls.heartbeatSeconds(license).catch(() => undefined);
    const leaseSeconds =
      (Date.parse(checked.lease.expiresAt) - Date.parse(checked.lease.lastHeartbeatAt)) / 1000;
    intervalSeconds = (heartbeat ?? leaseSeconds) / 2;
  }
  const interval = Math.max(1, intervalSeconds);
  const timers = options.timers ?? unrefTimers;

  let lease = checked.lease;
  let state: HeldLease['state'] = 'held';
  let timer: unknown;
  let beating: Promise<Lease | undefined> | undefined;

  const schedule = () => {
    if (state !== 'held') return;
    timer = timers.setTimeout(() => {
      timer = undefined;
      held.beat().then(schedule, (error: unknown) => {
        options.onError?.(error);
        schedule();
      });
    }, interval * 1000);
  };

  const stop = () => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  };

  const beatOnce = async (): Promise<Lease | undefined> => {
    try {
      lease = await calls.heartbeat(license, lease.id);
      return lease;
    } catch (error) {
      if (state !== 'held') return undefined;
      const loss = lossOf(error);
      if (loss === undefined) {
        options.onError?.(error);
        return undefined;
      }
      state = 'lost';
      stop();
      options.onLost?.(loss, error as EntitleError);
      return undefined;
    }
  };

  const held: HeldLease = {
    get lease() {
      return lease;
    },
    get id() {
      return lease.id;
    },
    outcome: checked.outcome,
    certificate: checked.certificate,
    get state() {
      return state;
    },
    intervalSeconds: interval,
    async beat() {
      if (state !== 'held') return undefined;
      // One heartbeat at a time: a slow answer and the next tick never overlap.
      beating ??= beatOnce().finally(() => {
        beating = undefined;
      });
      return beating;
    },
    async release() {
      if (state !== 'held') return;
      state = 'released';
      stop();
      await beating;
      try {
        await calls.checkIn(license, lease.id);
      } catch (error) {
        if (!(error instanceof EntitleError && error.status === 404)) throw error;
      }
    },
  };
  schedule();
  return held;
}
