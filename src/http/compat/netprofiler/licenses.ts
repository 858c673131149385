import type { InstallResult, UninstallResult } from '../../../domain/license.js';
import type { App, RouteDeps } from '../../types.js';
import { applianceOf } from './appliance.js';
import {
  DeleteBodySchema,
  KeyResultsSchema,
  KeysBodySchema,
  NpErrorSchema,
  NpLicenseListSchema,
  type NpLicense,
} from './schemas.js';

const errors = { 400: NpErrorSchema, 401: NpErrorSchema, 403: NpErrorSchema };
const tags = ['NetProfiler licenses'];

/**
 * Entitle's install results in NetProfiler's words: a well-formed key nobody issued is stored and
 * listed as "Unrecognized License", which NetProfiler reports as a `success` of the add; adding a
 * key again is a success too. The other results keep Entitle's text.
 */
function addResult(result: InstallResult): string {
  return result === 'Unrecognized License' || result === 'already installed' ? 'success' : result;
}

function removeResult(result: UninstallResult): string {
  return result;
}

/** `GET/POST/DELETE /api/mgmt.licenses/1.0/licenses`: the keys installed on this appliance. */
export function licenseRoutes(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/licenses',
    {
      schema: {
        tags,
        summary: 'NetProfiler: get downloaded licenses',
        response: { 200: NpLicenseListSchema, ...errors },
      },
    },
    async (request) => {
      const { ctx, instance } = await applianceOf(services, request, clock);
      const Licenses: NpLicense[] = (await services.licenses.liveOn(ctx, instance.id)).map(
        ({ license, activatedAt }) => ({
          key: license.key,
          description: license.description,
          'device serial number': instance.deviceSerial,
          'installed date': new Date(activatedAt).toUTCString(),
          status: license.validity.valid ? 'Valid' : 'Invalid',
        }),
      );
      return { Licenses };
    },
  );

  app.post(
    '/licenses',
    {
      schema: {
        tags,
        summary: 'NetProfiler: add licenses',
        body: KeysBodySchema,
        response: { 200: KeyResultsSchema, ...errors },
      },
    },
    async (request) => {
      const { ctx, instance } = await applianceOf(services, request, clock);
      const outcomes = await services.installs.install(ctx, {
        instance: instance.id,
        keys: request.body,
      });
      return outcomes.map(({ key, result }) => ({ [key]: addResult(result) }));
    },
  );

  app.delete(
    '/licenses',
    {
      schema: {
        tags,
        summary: 'NetProfiler: delete licenses',
        body: DeleteBodySchema,
        response: { 200: KeyResultsSchema, ...errors },
      },
    },
    async (request) => {
      const { ctx, instance } = await applianceOf(services, request, clock);
      const keys = request.body.map((item) =>
        typeof item === 'string' ? item : (Object.keys(item)[0] ?? ''),
      );
      const outcomes = await services.installs.uninstall(ctx, { instance: instance.id, keys });
      return outcomes.map(({ key, result }) => ({ [key]: removeResult(result) }));
    },
  );
}
