import type { App, RouteDeps } from '../../types.js';
import { facadeNotFoundHandler } from '../shared.js';
import { controllerQueryRoutes } from './controller-queries.js';
import { handleHpError, sendHpError } from './errors.js';
import { licenseRoutes } from './licenses.js';
import { exactContentType, lenientJson } from './media.js';

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
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, lenientJson);
    app.addHook('onSend', exactContentType);
    app.setErrorHandler(handleHpError);
    app.setNotFoundHandler(
      facadeNotFoundHandler(app, {
        methodNotAllowed: (reply, allowed, path) =>
          sendHpError(
            reply,
            405,
            'MethodNotAllowedException',
            `${reply.request.method} is not supported on ${path}; use ${allowed.join(', ')}.`,
          ),
        notFound: (reply, path) =>
          sendHpError(reply, 404, 'NotFoundException', `No resource at ${path}.`),
      }),
    );
    licenseRoutes(app, deps);
    controllerQueryRoutes(app, deps);
    done();
  };
}
