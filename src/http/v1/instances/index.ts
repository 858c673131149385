import { Type } from 'typebox';
import {
  InstanceCreateSchema,
  InstancePatchSchema,
  InstanceSchema,
} from '../../../domain/instance.js';
import { LicenseSchema } from '../../../domain/license.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems, ListQuerySchema, listOf, NoContent, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';

const InstanceParams = Type.Object(
  { instanceId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

/** Instances: the installs that consume licenses. Small verbs, one registration each. */
export function instanceRoutes(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/instances',
    {
      schema: {
        tags: ['instances'],
        summary: 'Register an instance',
        description:
          'Operators, admins of the account, or services. installId and deviceSerial are generated when absent.',
        body: InstanceCreateSchema,
        response: { 201: InstanceSchema, ...bodyProblems('forbidden', 'not-found', 'conflict') },
      },
    },
    async (request, reply) => {
      const instance = await services.instances.create(contextOf(request, clock), request.body);
      return reply.code(201).header('location', `/v1/instances/${instance.id}`).send(instance);
    },
  );

  app.get(
    '/v1/instances',
    {
      schema: {
        tags: ['instances'],
        summary: 'List instances',
        querystring: ListQuerySchema,
        response: { 200: listOf(InstanceSchema, 'InstanceList'), ...problems('invalid-params') },
      },
    },
    async (request) =>
      listBody(
        await services.instances.list(contextOf(request, clock), request.query),
        request.query.include,
      ),
  );

  app.get(
    '/v1/instances/:instanceId',
    {
      schema: {
        tags: ['instances'],
        summary: 'Get an instance',
        params: InstanceParams,
        response: { 200: InstanceSchema, ...problems('invalid-params', 'not-found') },
      },
    },
    (request) => services.instances.get(contextOf(request, clock), request.params.instanceId),
  );

  app.post(
    '/v1/instances/:instanceId/heartbeat',
    {
      schema: {
        tags: ['instances'],
        summary: 'Report that an instance is alive',
        description:
          'Marks the instance seen now. A license whose policy sets `heartbeatSeconds` and `deadInstance: DEACTIVATE` is deactivated on an instance quiet for two intervals (validations count as heartbeats too). An instance token beats for itself.',
        params: InstanceParams,
        response: { 200: InstanceSchema, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    (request) => services.instances.heartbeat(contextOf(request, clock), request.params.instanceId),
  );

  app.get(
    '/v1/instances/:instanceId/licenses',
    {
      schema: {
        tags: ['instances'],
        summary: 'Licenses installed on an instance',
        description:
          'Every license activated on the instance, now or before (what an HP controller lists).',
        params: InstanceParams,
        response: {
          200: Type.Object({ items: Type.Array(LicenseSchema) }),
          ...problems('invalid-params', 'not-found'),
        },
      },
    },
    async (request) => ({
      items: await services.licenses.installedOn(
        contextOf(request, clock),
        request.params.instanceId,
      ),
    }),
  );

  app.patch(
    '/v1/instances/:instanceId',
    {
      schema: {
        tags: ['instances'],
        summary: 'Update an instance',
        params: InstanceParams,
        body: InstancePatchSchema,
        response: {
          200: InstanceSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.instances.update(contextOf(request, clock), request.params.instanceId, request.body),
  );

  app.delete(
    '/v1/instances/:instanceId',
    {
      schema: {
        tags: ['instances'],
        summary: 'Remove an instance, ending its activations',
        params: InstanceParams,
        response: { 204: NoContent, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.instances.remove(contextOf(request, clock), request.params.instanceId);
      return reply.code(204).send(null);
    },
  );
}
