import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { GroupSchema, OrderSchema } from '../../src/domain/group.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await h.account('SRP00000');
  await h.account('other');
});
afterEach(async () => {
  await h.close();
});

/** The order of the BlackBerry groups example. */
const ORDER = {
  orderId: 'HP_17:606',
  purchaseDetails: [
    {
      sku: 'EMS.MT.SOD.AD',
      description:
        'BlackBerry Enterprise Mobility Suites - Management Edition Monthly - Device Based',
      quantity: 4,
      startDate: '2017-02-06T00:00:00.000Z',
      endDate: '2018-02-06T23:59:59.000Z',
    },
  ],
};

async function license(
  quantity: number,
  order = ORDER.orderId,
  sku = 'EMS.MT.SOD.AD',
): Promise<string> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/licenses',
    body: { accountId: 'SRP00000', term: 'SUBSCRIPTION', quantity, orderId: order, sku },
  });
  expect(response.statusCode).toBe(201);
  return json<{ id: string }>(response).id;
}

async function group(name = 'IT Admin Group'): Promise<string> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/accounts/SRP00000/groups',
    body: { groupName: name, numberOfUsers: 3 },
  });
  expect(response.statusCode).toBe(201);
  return json<{ guid: string }>(response).guid;
}

describe('groups', () => {
  it('creates, reads, renames and deletes a group', async () => {
    const created = await h.request({
      method: 'POST',
      url: '/v1/accounts/SRP00000/groups',
      body: { guid: '705c7b4c-a85b-44f0-9fbd-5a2345c21a9a', groupName: 'IT Admin Group' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe(
      '/v1/accounts/SRP00000/groups/705c7b4c-a85b-44f0-9fbd-5a2345c21a9a',
    );
    expect(Value.Check(GroupSchema, json(created))).toBe(true);
    expect(json(created)).toMatchObject({
      groupName: 'IT Admin Group',
      numberOfUsers: 0,
      licenses: [],
      createdAt: T0,
    });
    const renamed = await h.request({
      method: 'PATCH',
      url: '/v1/accounts/SRP00000/groups/705c7b4c-a85b-44f0-9fbd-5a2345c21a9a',
      body: { groupName: 'Admins', numberOfUsers: 12 },
    });
    expect(json(renamed)).toMatchObject({ groupName: 'Admins', numberOfUsers: 12 });
    const again = await h.request({
      method: 'POST',
      url: '/v1/accounts/SRP00000/groups',
      body: { guid: '705c7b4c-a85b-44f0-9fbd-5a2345c21a9a', groupName: 'Dup' },
    });
    expect(again.statusCode).toBe(409);
    const list = json<{ items: { groupName: string }[] }>(
      await h.request({ method: 'GET', url: '/v1/accounts/SRP00000/groups' }),
    );
    expect(list.items.map((g) => g.groupName)).toEqual(['Admins']);
    const deleted = await h.request({
      method: 'DELETE',
      url: '/v1/accounts/SRP00000/groups/705c7b4c-a85b-44f0-9fbd-5a2345c21a9a',
    });
    expect(deleted.statusCode).toBe(204);
    expect(
      (
        await h.request({
          method: 'GET',
          url: '/v1/accounts/SRP00000/groups/705c7b4c-a85b-44f0-9fbd-5a2345c21a9a',
        })
      ).statusCode,
    ).toBe(404);
  });

  it('assigns licenses to one group at a time, and takes them out', async () => {
    const first = await group('First');
    const second = await group('Second');
    const l1 = await license(1);
    const l2 = await license(2);
    const assigned = await h.request({
      method: 'POST',
      url: `/v1/accounts/SRP00000/groups/${first}/licenses`,
      body: { licenses: [l1, l2] },
    });
    expect(assigned.statusCode).toBe(200);
    expect(json(assigned).licenses).toEqual([l1, l2].sort());
    const moved = await h.request({
      method: 'POST',
      url: `/v1/accounts/SRP00000/groups/${second}/licenses`,
      body: { licenses: [l2] },
    });
    expect(json(moved).licenses).toEqual([l2]);
    expect(
      json(await h.request({ method: 'GET', url: `/v1/accounts/SRP00000/groups/${first}` }))
        .licenses,
    ).toEqual([l1]);
    const out = await h.request({
      method: 'DELETE',
      url: `/v1/accounts/SRP00000/groups/${first}/licenses/${l1}`,
    });
    expect(json(out).licenses).toEqual([]);
    expect(
      (
        await h.request({
          method: 'DELETE',
          url: `/v1/accounts/SRP00000/groups/${first}/licenses/${l1}`,
        })
      ).statusCode,
    ).toBe(404);
  });

  it("refuses another account's license, naming it", async () => {
    const guid = await group();
    const foreign = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'other' },
    });
    const id = json<{ id: string }>(foreign).id;
    const response = await h.request({
      method: 'POST',
      url: `/v1/accounts/SRP00000/groups/${guid}/licenses`,
      body: { licenses: [id] },
    });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidFields).toEqual([
      { name: 'licenses.0', reason: `no license '${id}' in account 'SRP00000'` },
    ]);
  });

  it('names bad fields, and keeps groups to their account and roles', async () => {
    const bad = await h.request({
      method: 'POST',
      url: '/v1/accounts/SRP00000/groups',
      body: { groupName: '', numberOfUsers: -1 },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      json<{ invalidFields: { name: string }[] }>(bad)
        .invalidFields.map((f) => f.name)
        .sort(),
    ).toEqual(['groupName', 'numberOfUsers']);
    const guid = await group();
    const otherAdmin = await h.token('admin', ['other']);
    expect(
      (
        await h.request({
          method: 'GET',
          url: `/v1/accounts/SRP00000/groups/${guid}`,
          token: otherAdmin,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await h.request({
          method: 'GET',
          url: `/v1/accounts/other/groups/${guid}`,
          token: otherAdmin,
        })
      ).statusCode,
    ).toBe(404);
    const viewer = await h.token('viewer', ['SRP00000']);
    expect(
      (await h.request({ method: 'GET', url: '/v1/accounts/SRP00000/groups', token: viewer }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await h.request({
          method: 'POST',
          url: '/v1/accounts/SRP00000/groups',
          token: viewer,
          body: { groupName: 'x' },
        })
      ).statusCode,
    ).toBe(403);
    const admin = await h.token('admin', ['SRP00000']);
    expect(
      (
        await h.request({
          method: 'POST',
          url: '/v1/accounts/SRP00000/groups',
          token: admin,
          body: { groupName: 'x' },
        })
      ).statusCode,
    ).toBe(201);
  });
});

describe('orders', () => {
  it('records an order and reports what is not yet assigned to a group', async () => {
    const created = await h.request({
      method: 'POST',
      url: '/v1/accounts/SRP00000/orders',
      body: ORDER,
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/v1/accounts/SRP00000/orders/HP_17%3A606');
    expect(Value.Check(OrderSchema, json(created))).toBe(true);
    expect(json(created).purchaseDetails).toEqual([
      { ...ORDER.purchaseDetails[0], assigned: 0, unassigned: 4 },
    ]);

    const guid = await group();
    const l1 = await license(3);
    await license(5, 'another-order');
    await h.request({
      method: 'POST',
      url: `/v1/accounts/SRP00000/groups/${guid}/licenses`,
      body: { licenses: [l1] },
    });
    const order = json(
      await h.request({ method: 'GET', url: '/v1/accounts/SRP00000/orders/HP_17:606' }),
    );
    expect(order.purchaseDetails).toEqual([
      { ...ORDER.purchaseDetails[0], assigned: 3, unassigned: 1 },
    ]);
  });

  it('names a duplicate order and backwards dates; operators record, admins read', async () => {
    await h.request({ method: 'POST', url: '/v1/accounts/SRP00000/orders', body: ORDER });
    const dup = await h.request({
      method: 'POST',
      url: '/v1/accounts/SRP00000/orders',
      body: ORDER,
    });
    expect(dup.statusCode).toBe(409);
    expect(json(dup).invalidFields).toEqual([{ name: 'orderId', reason: 'is already recorded' }]);
    const backwards = await h.request({
      method: 'POST',
      url: '/v1/accounts/SRP00000/orders',
      body: {
        orderId: 'o2',
        purchaseDetails: [{ ...ORDER.purchaseDetails[0], endDate: '2016-01-01T00:00:00.000Z' }],
      },
    });
    expect(backwards.statusCode).toBe(400);
    expect(json(backwards).invalidFields).toEqual([
      { name: 'purchaseDetails.0.endDate', reason: 'must not be before startDate' },
    ]);
    const admin = await h.token('admin', ['SRP00000']);
    expect(
      (await h.request({ method: 'GET', url: '/v1/accounts/SRP00000/orders', token: admin }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await h.request({
          method: 'POST',
          url: '/v1/accounts/SRP00000/orders',
          token: admin,
          body: { ...ORDER, orderId: 'x' },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await h.request({ method: 'DELETE', url: '/v1/accounts/SRP00000/orders/HP_17:606' }))
        .statusCode,
    ).toBe(204);
    expect(
      (await h.request({ method: 'GET', url: '/v1/accounts/SRP00000/orders/HP_17:606' }))
        .statusCode,
    ).toBe(404);
  });
});

describe('licensing status', () => {
  it('reports organization, group licensing, connection and the message of the day', async () => {
    await h.request({
      method: 'PATCH',
      url: '/v1/accounts/SRP00000',
      body: {
        orgId: '999000000',
        settings: {
          groupLicensing: true,
          messageOfTheDay: { contentType: 'text/html', message: 'PGgyPk1lc3NhZ2U8L2gyPg==' },
        },
      },
    });
    const response = await h.request({
      method: 'GET',
      url: '/v1/accounts/SRP00000/licensing-status',
    });
    expect(json(response)).toEqual({
      orgId: '999000000',
      groupLicensing: true,
      connectedToLicensingInfrastructure: true,
      licensingInfrastructureLastContact: T0,
      messageOfTheDay: { contentType: 'text/html', message: 'PGgyPk1lc3NhZ2U8L2gyPg==' },
    });
    const otherViewer = await h.token('viewer', ['other']);
    expect(
      (
        await h.request({
          method: 'GET',
          url: '/v1/accounts/SRP00000/licensing-status',
          token: otherViewer,
        })
      ).statusCode,
    ).toBe(404);
  });
});
