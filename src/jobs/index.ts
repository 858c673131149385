import type { Services } from '../services/index.js';
import { pruneUsageJob } from './prune-usage.js';
import type { JobDefinition } from './scheduler.js';

/** Every scheduled job a server (or `entitle worker`) runs. */
export function allJobs(services: Services): JobDefinition[] {
  return [pruneUsageJob(services)];
}
