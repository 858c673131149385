import { InvalidActivationToken } from '../../../services/activation-tokens.js';
import { NoContent } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { applianceOf } from './appliance.js';
import { AutoDownloadSchema, MessageSchema, NpErrorSchema, ValueSchema } from './schemas.js';

const errors = { 400: NpErrorSchema, 401: NpErrorSchema, 403: NpErrorSchema };
const tags = ['NetProfiler licenses'];

function redeemedMessage(token: string, count: number): string {
  return `Token ${token} redeemed: ${String(count)} license${count === 1 ? '' : 's'} installed.`;
}

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
      const { ctx, instance } = await applianceOf(services, request, clock);
      const outcome = await services.upstream.fetch(ctx, instance.id);
      return { Message: outcome.message };
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
      const { ctx } = await applianceOf(services, request, clock);
      try {
        const { licenses } = await services.activationTokens.redeem(ctx, {
          token: request.body.value,
        });
        return { Message: redeemedMessage(request.body.value, licenses.length) };
      } catch (error) {
        // The document answers a token it cannot redeem with a 200 and this message.
        if (error instanceof InvalidActivationToken)
          return { Message: `Invalid token ${error.token}` };
        throw error;
      }
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
        response: { 204: NoContent, ...errors },
      },
    },
    async (request, reply) => {
      const { ctx, instance } = await applianceOf(services, request, clock);
      await services.accounts.setAutoDownload(
        ctx,
        instance.accountId,
        request.body.value === 'true',
      );
      return reply.code(204).send(null);
    },
  );
}
