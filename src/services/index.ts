import type { Store } from '../store/database.js';
import { accountService } from './accounts.js';
import { eventService } from './events.js';
import { productService } from './products.js';
import type { TokenKeys } from './token-keys.js';
import { tokenService } from './tokens.js';

/** Every use case, wired to one store. Front ends (native API, facades, CLI) call only these. */
export function createServices(store: Store, keys: TokenKeys) {
  return {
    store,
    accounts: accountService(store),
    products: productService(store),
    events: eventService(store),
    tokens: tokenService(store, keys),
  };
}

export type Services = ReturnType<typeof createServices>;
