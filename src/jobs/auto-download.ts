import type { Services } from '../services/index.js';
import type { JobDefinition } from './scheduler.js';

/** How often accounts with auto-download on fetch their hosts' licenses from the upstream. */
export const AUTO_DOWNLOAD_EVERY_MS = 15 * 60_000;

/**
 * Auto-download (NetProfiler's switch, the account's `settings.autoDownload`): every instance of
 * every such account fetches from the account's upstream. An unreachable upstream ends that
 * account's pass early (its circuit opens); a pass repeated after a crash changes nothing twice.
 */
export function autoDownloadJob(
  services: Services,
  everyMs = AUTO_DOWNLOAD_EVERY_MS,
): JobDefinition {
  return {
    name: 'upstream.auto-download',
    everyMs,
    leaseMs: 10 * 60_000,
    run: (ctx) => services.upstream.autoDownload(ctx),
  };
}
