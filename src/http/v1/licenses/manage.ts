import { Type } from 'typebox';
import { LicenseIssueSchema, LicensePatchSchema, LicenseSchema } from '../../../domain/license.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems, ListQuerySchema, NoContent, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import { LicenseList, LicenseParams } from './schemas.js';

/** Issue, read, change, revoke and delete licenses. */
export function manageLicenseRoutes(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/licenses',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Issue a license',
        description:
          'Operators only. Generates a native key unless `key` registers one issued elsewhere.',
        body: LicenseIssueSchema,
        response: { 201: LicenseSchema, ...bodyProblems('forbidden', 'conflict') },
      },
    },
    async (request, reply) => {
      const license = await services.licenses.issue(contextOf(request, clock), request.body);
      return reply.code(201).header('location', `/v1/licenses/${license.id}`).send(license);
    },
  );

  app.post(
    '/v1/licenses/batch',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Issue licenses in one transaction',
        description: 'Operators only. All or nothing; an error names the item (`items.3.product`).',
        body: Type.Object(
          { items: Type.Array(LicenseIssueSchema, { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ items: Type.Array(LicenseSchema) }),
          ...bodyProblems('forbidden', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const items = await services.licenses.issueBatch(
        contextOf(request, clock),
        request.body.items,
      );
      return reply.code(201).send({ items });
    },
  );

  app.get(
    '/v1/licenses',
    {
      schema: {
        tags: ['licenses'],
        summary: 'List licenses',
        description:
          'Filter on any of: id/resourceId, serialNumber, key, accountId, productId, kind/licenseType, service, group, term, state, quantity, orderId, sku, createdAt, startsAt, expiresAt.',
        querystring: ListQuerySchema,
        response: { 200: LicenseList, ...problems('invalid-params') },
      },
    },
    async (request) =>
      listBody(
        await services.licenses.list(contextOf(request, clock), request.query),
        request.query.include,
      ),
  );

  app.get(
    '/v1/licenses/lookup',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Find a license by its key',
        querystring: Type.Object(
          { key: Type.String({ minLength: 1, maxLength: 512 }) },
          { additionalProperties: false },
        ),
        response: { 200: LicenseSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) => services.licenses.getByKey(contextOf(request, clock), request.query.key),
  );

  app.get(
    '/v1/licenses/:license',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Get a license by resource id or serial number',
        params: LicenseParams,
        response: { 200: LicenseSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) => services.licenses.get(contextOf(request, clock), request.params.license),
  );

  app.patch(
    '/v1/licenses/:license',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Update a license',
        description: 'Operators only. `state` suspends or resumes.',
        params: LicenseParams,
        body: LicensePatchSchema,
        response: {
          200: LicenseSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    (request) =>
      services.licenses.update(contextOf(request, clock), request.params.license, request.body),
  );

  app.post(
    '/v1/licenses/:license/revoke',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Revoke a license',
        description: 'Operators only. It stops validating and its activations end.',
        params: LicenseParams,
        response: { 200: LicenseSchema, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    (request) => services.licenses.revoke(contextOf(request, clock), request.params.license),
  );

  app.delete(
    '/v1/licenses/:license',
    {
      schema: {
        tags: ['licenses'],
        summary: 'Delete a license',
        params: LicenseParams,
        response: { 204: NoContent, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.licenses.remove(contextOf(request, clock), request.params.license);
      return reply.code(204).send(null);
    },
  );
}
