import type { App, RouteDeps } from '../../types.js';
import { ingestUsage } from './ingest.js';
import { usageReport } from './report.js';

export function usageRoutes(app: App, deps: RouteDeps): void {
  ingestUsage(app, deps);
  usageReport(app, deps);
}
