import type { App, RouteDeps } from '../../types.js';
import { createAccount } from './create.js';
import { deleteAccount } from './delete.js';
import { getAccount } from './get.js';
import { listAccounts } from './list.js';
import { replaceAccount } from './replace.js';
import { updateAccount } from './update.js';

export function accountRoutes(app: App, deps: RouteDeps): void {
  createAccount(app, deps);
  listAccounts(app, deps);
  getAccount(app, deps);
  replaceAccount(app, deps);
  updateAccount(app, deps);
  deleteAccount(app, deps);
}
