import type { App, RouteDeps } from '../../types.js';
import { controllerQueryRoutes } from './controller-queries.js';
import { hpSurface } from './errors.js';
import { licenseRoutes } from './licenses.js';

/** Where HP VAN SDN controller clients find their licensing API. */
export const HP_PREFIX = '/sdn/v2.0/licenses';

/**
 * HP VAN SDN controller licensing (reference 003), one encapsulated plugin: its own error and
 * not-found handlers answer `{"error", "message"}`, and it alone accepts text/plain bodies (a raw
 * license key, or `deactivate`). Register with `{ prefix: HP_PREFIX }`.
 */
export function hpFacade(deps: RouteDeps) {
  return (app: App, _options: object, done: () => void): void => {
    const asString = (_request: unknown, body: string, parsed: (e: null, b: string) => void) => {
      parsed(null, body);
    };
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, asString);
    // `curl -d KEY` sends form encoding: the body is still the raw key.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, asString);
    // A client sends the bare key with `Content-Type: application/json`: not JSON, still the key.
    hpSurface(app);
    licenseRoutes(app, deps);
    controllerQueryRoutes(app, deps);
    done();
  };
}
