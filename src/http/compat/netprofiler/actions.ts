import type { App, RouteDeps } from '../../types.js';
import { applianceOf } from './appliance.js';
import { AutoDownloadSchema, MessageSchema, NpErrorSchema, ValueSchema } from './schemas.js';

const errors = { 400: NpErrorSchema, 401: NpErrorSchema, 403: NpErrorSchema };
const tags = ['NetProfiler licenses'];

/** The document's own message: Entitle has no upstream license server to contact yet. */
export const FETCH_UNAVAILABLE =
  'Could not contact license server or there are currently no licenses available for this host.';

/** Fetch from upstream, redeem a purchase token, and the auto-download switch. */
export function actionRoutes(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/licenses/fetch',
    {
      schema: {
        tags,
        summary: 'NetProfiler: fetch license updates',
        response: { 200: MessageSchema, ...errors },
      },
    },
    async (request) => {
      await applianceOf(services, request, clock);
      return { Message: FETCH_UNAVAILABLE };
    },
  );

  app.post(
    '/licenses/request',
    {
      schema: {
        tags,
        summary: 'NetProfiler: request license activation code',
        body: ValueSchema,
        response: { 200: MessageSchema, ...errors },
      },
    },
    async (request) => {
      await applianceOf(services, request, clock);
      // Purchase tokens do not exist in Entitle yet, so no token can be redeemed.
      return { Message: `Invalid token ${request.body.value}` };
    },
  );

  app.get(
    '/licenses/auto_download',
    {
      schema: {
        tags,
        summary: 'NetProfiler: get auto download value',
        response: { 200: AutoDownloadSchema, ...errors },
      },
    },
    async (request) => {
      const { ctx, instance } = await applianceOf(services, request, clock);
      const account = await services.accounts.get(ctx, instance.accountId);
      return { value: account.settings.autoDownload ? ('true' as const) : ('false' as const) };
    },
  );

  app.post(
    '/licenses/auto_download',
    {
      schema: {
        tags,
        summary: 'NetProfiler: set auto download value',
        body: AutoDownloadSchema,
      },
    },
    async (request, reply) => {
      const { ctx, instance } = await applianceOf(services, request, clock);
      await services.accounts.setAutoDownload(
        ctx,
        instance.accountId,
        request.body.value === 'true',
      );
      return reply.code(204).send();
    },
  );
}
