import { Type } from 'typebox';
import { WebhookDeliverySchema, WebhookEndpointSchema } from '../../../domain/webhook.js';
import { listOf } from '../../schemas.js';

export const WebhookParams = Type.Object(
  { webhookId: Type.String({ format: 'uuid', description: 'The webhook endpoint id.' }) },
  { additionalProperties: false },
);

export const DeliveryParams = Type.Object(
  {
    webhookId: WebhookParams.properties.webhookId,
    deliveryId: Type.String({ pattern: '^[0-9]{1,15}$', description: 'The delivery id.' }),
  },
  { additionalProperties: false },
);

export const WebhookList = listOf(WebhookEndpointSchema, 'WebhookList');
export const DeliveryList = listOf(WebhookDeliverySchema, 'WebhookDeliveryList');
