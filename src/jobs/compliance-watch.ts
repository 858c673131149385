import type { Services } from '../services/index.js';
import type { JobDefinition } from './scheduler.js';

/** How often every account's compliance is read for overages and level changes. */
export const COMPLIANCE_WATCH_EVERY_MS = 15 * 60_000;

/**
 * Reads each account's compliance summary once per pass and records `usage.overage` (once per
 * account × product × metric × UTC month) and `compliance.changed` (when the overall level
 * differs from the one stored). One job for both, so each summary is computed once.
 */
export function complianceWatchJob(
  services: Services,
  everyMs = COMPLIANCE_WATCH_EVERY_MS,
): JobDefinition {
  return {
    name: 'compliance.watch',
    everyMs,
    // Summaries of many accounts may take a while; another process takes over only after this.
    leaseMs: 30 * 60_000,
    run: (ctx) => services.lifecycle.watchCompliance(ctx),
  };
}
