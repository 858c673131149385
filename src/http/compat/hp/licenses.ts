import { Conflict, InvalidFields, NotFound } from '../../../domain/errors.js';
import { sendHpError } from './errors.js';
import type { App, RouteDeps } from '../../types.js';
import {
  controllerOf,
  hpErrorResponses,
  hpLicenses,
  installedHere,
  type Controller,
} from './controller.js';
import {
  ActionBodySchema,
  HpLicenseEnvelopeSchema,
  HpLicenseListSchema,
  KeyQuerySchema,
  RawStringBodySchema,
  SerialParamsSchema,
  unquoted,
} from './schemas.js';

const TAGS = ['compat: HP VAN SDN'];

/**
 * `/sdn/v2.0/licenses`: list, get by key, add a key, get by serial number, deactivate. Every
 * license is one installed on the calling controller (instance).
 */
export function licenseRoutes(app: App, { services, clock }: RouteDeps): void {
  function byKey(controller: Controller, rawKey: string) {
    return services.licenses.installedByKey(
      controller.ctx,
      unquoted(rawKey),
      controller.instance.id,
    );
  }

  async function bySerial(controller: Controller, serial: string) {
    // A serial that is no number names no license: 404, as the document lists for this route.
    if (!/^\d{1,15}$/.test(serial)) throw new NotFound('License', serial);
    const license = await services.licenses.get(controller.ctx, serial);
    return installedHere(services, controller, license, serial);
  }

  async function envelope(controller: Controller, license: Parameters<typeof hpLicenses>[2][0]) {
    const [hp] = await hpLicenses(services, controller, [license]);
    if (hp === undefined) throw new Error('a license maps to one HP license');
    return { license: hp };
  }

  app.get(
    '',
    {
      schema: {
        tags: TAGS,
        summary: 'List licenses (or get one by ?key=)',
        description:
          'Without `key`: `{"licenses": [...]}`, every license installed on this controller. ' +
          'With `key` (quoted as in HP\'s example, or not): `{"license": {...}}`.',
        querystring: KeyQuerySchema,
        response: {
          200: { anyOf: [HpLicenseListSchema, HpLicenseEnvelopeSchema] },
          ...hpErrorResponses(400, 401, 404, 503),
        },
      },
    },
    async (request) => {
      const controller = await controllerOf(services, request, clock);
      if (request.query.key !== undefined) {
        return envelope(controller, (await byKey(controller, request.query.key)).license);
      }
      const installed = await services.licenses.installedOn(controller.ctx, controller.instance.id);
      return { licenses: await hpLicenses(services, controller, installed) };
    },
  );

  app.post(
    '',
    {
      schema: {
        tags: TAGS,
        summary: 'Add a license',
        description:
          'The body is the raw key: text/plain, form-encoded or a JSON string. The key must have ' +
          'been issued to the account; it is installed (activated) on this controller.',
        body: RawStringBodySchema,
        response: { 200: HpLicenseEnvelopeSchema, ...hpErrorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const controller = await controllerOf(services, request, clock);
      const key = unquoted(request.body);
      // Validate first: an unknown key is refused without being kept as an unrecognized license.
      const verdict = await services.validation.validate(controller.ctx, {
        key,
        instance: controller.instance.id,
      });
      if (verdict.code === 'BAD_FORMAT' || verdict.code === 'UNKNOWN_KEY') {
        throw new InvalidFields(
          [{ name: 'body', reason: verdict.detail }],
          verdict.code === 'BAD_FORMAT'
            ? 'License key format not supported'
            : 'Unrecognized License',
        );
      }
      const [outcome] = await services.installs.install(controller.ctx, {
        instance: controller.instance.id,
        keys: [key],
      });
      // Seat limit reached, not usable (expired, suspended…): the state forbids it, not the input.
      if (outcome?.result !== 'success' && outcome?.result !== 'already installed') {
        throw new Conflict(outcome?.result ?? 'The license could not be installed.');
      }
      return envelope(controller, (await byKey(controller, key)).license);
    },
  );

  app.get(
    '/:serial_no',
    {
      schema: {
        tags: TAGS,
        summary: 'Get a license by serial number',
        params: SerialParamsSchema,
        response: { 200: HpLicenseEnvelopeSchema, ...hpErrorResponses(401, 404, 503) },
      },
    },
    async (request) => {
      const controller = await controllerOf(services, request, clock);
      return envelope(controller, (await bySerial(controller, request.params.serial_no)).license);
    },
  );

  async function deactivate(controller: Controller, serial: string, rawAction: string) {
    const action = unquoted(rawAction);
    if (action.toLowerCase() !== 'deactivate') {
      throw new InvalidFields(
        [{ name: 'body', reason: "the only action is 'deactivate'" }],
        `Unknown action '${action}'; the only action is 'deactivate'.`,
      );
    }
    const found = await bySerial(controller, serial);
    const license = found.live
      ? await services.licenses.deactivate(controller.ctx, serial, controller.instance.id)
      : found.license;
    return envelope(controller, license);
  }

  app.post(
    '/:serial_no',
    {
      // Not a serial (`POST /installid`, `/islicensed`…): those paths take no POST, as before
      // this route existed — 405 with the methods they do take, before the body is validated.
      preValidation: (request, reply, done) => {
        const serial = request.params.serial_no;
        if (/^\d{1,15}$/.test(serial)) {
          done();
          return;
        }
        const path = request.url.split('?')[0] ?? '';
        const allowed = app.allowedMethods(path).filter((method) => method !== 'POST');
        void sendHpError(
          reply.header('allow', allowed.join(', ')),
          405,
          'MethodNotAllowedException',
          `POST is not supported on ${path}; use ${allowed.join(', ')}.`,
        );
      },
      schema: {
        tags: TAGS,
        summary: 'Deactivate a license (action in a JSON object)',
        description:
          'The form some clients use: `{"action": "deactivate"}` (or the bare word, as on ' +
          '`/{serial_no}/action`).',
        params: SerialParamsSchema,
        body: ActionBodySchema,
        response: {
          200: HpLicenseEnvelopeSchema,
          ...hpErrorResponses(400, 401, 404, 405, 503),
        },
      },
    },
    async (request) => {
      const controller = await controllerOf(services, request, clock);
      const action = typeof request.body === 'string' ? request.body : request.body.action;
      return deactivate(controller, request.params.serial_no, action);
    },
  );

  app.post(
    '/:serial_no/action',
    {
      schema: {
        tags: TAGS,
        summary: 'Deactivate a license',
        description:
          'The body is `deactivate` (text/plain, form-encoded or a JSON string). Deactivating a ' +
          'license already deactivated on this controller answers it unchanged.',
        params: SerialParamsSchema,
        body: RawStringBodySchema,
        response: { 200: HpLicenseEnvelopeSchema, ...hpErrorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const controller = await controllerOf(services, request, clock);
      return deactivate(controller, request.params.serial_no, request.body);
    },
  );
}
