import { readFileSync } from 'node:fs';
import { type Config, isPostgresUrl, sqliteFile } from './config.js';
import { createServices, type Services } from './services/index.js';
import { loadTokenKeys, readOrCreateSecret } from './services/token-keys.js';
import { openPostgresStore, openSqliteStore, type Store } from './store/database.js';

/** What every command needs, without the HTTP stack: the version, the store and the services. */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Opens the configured store and, unless told not to, brings its schema up to date. */
export async function openStore(
  config: Config,
  options: { migrate?: boolean } = {},
): Promise<Store> {
  const store = isPostgresUrl(config.databaseUrl)
    ? openPostgresStore({ url: config.databaseUrl, poolSize: config.databasePoolSize })
    : openSqliteStore({ file: sqliteFile(config.databaseUrl) });
  if (options.migrate === false) return store;
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export function servicesFor(config: Config, store: Store): Services {
  return createServices(store, loadTokenKeys(config.token), {
    keySecret: readOrCreateSecret(config.licenseKeySecretFile),
    issuer: config.token.issuer,
    usageRetentionDays: config.usageRetentionDays,
    webhookRetentionDays: config.webhookRetentionDays,
  });
}
