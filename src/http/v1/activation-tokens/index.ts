import type { App, RouteDeps } from '../../types.js';
import { getActivationToken } from './get.js';
import { issueActivationToken } from './issue.js';
import { listActivationTokens } from './list.js';
import { redeemActivationToken } from './redeem.js';
import { revokeActivationToken } from './revoke.js';

/** One-time activation tokens: issue, list, get, revoke, redeem. */
export function activationTokenRoutes(app: App, deps: RouteDeps): void {
  issueActivationToken(app, deps);
  listActivationTokens(app, deps);
  redeemActivationToken(app, deps);
  getActivationToken(app, deps);
  revokeActivationToken(app, deps);
}
