import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, json, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
});
afterEach(async () => {
  await h.close();
});

describe('subscription events', () => {
  it("record what changed, never the payer's name or address", async () => {
    const created = await h.request({
      method: 'POST',
      url: '/v1/subscriptions',
      body: {
        type: 'application/astra-subscription',
        version: '1.2',
        terms: 'paid',
        accounts: ['acme'],
        paymentFirstName: 'Ada',
        paymentLastName: 'Lovelace',
        paymentAddress: {
          addressCountry: 'GB',
          addressLocality: 'London',
          addressRegion: 'Greater London',
          postalCode: 'W1',
          streetAddress1: '12 St James Square',
          streetAddress2: '',
        },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = json<{ id: string }>(created).id;
    await h.request({ method: 'POST', url: `/v1/subscriptions/${id}/cancel` });
    await h.request({ method: 'DELETE', url: `/v1/subscriptions/${id}` });
    const events = json<{ items: { type: string; summary: unknown }[] }>(
      await h.request({
        method: 'GET',
        url: `/v1/events?filter=${encodeURIComponent(`resourceId eq '${id}'`)}`,
      }),
    ).items;
    expect(events.map((e) => e.type).sort()).toEqual([
      'subscription.cancelled',
      'subscription.created',
      'subscription.deleted',
    ]);
    const text = JSON.stringify(events);
    for (const secret of ['Ada', 'Lovelace', 'St James', 'London'])
      expect(text).not.toContain(secret);
  });
});
