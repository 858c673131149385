import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { ProductSchema } from '../../src/domain/product.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const cvo = {
  slug: 'cvo',
  name: 'Cloud Volumes ONTAP',
  group: 'CVO',
  description: 'Capacity-based CVO',
  features: [
    { id: 'BACKUP', name: 'Backup & Restore' },
    {
      id: 'enterprise.watchdox.blackberry.com',
      name: 'WatchDox',
      description: 'Enterprise edition',
    },
  ],
  metrics: [
    { id: 1, name: 'Provisioned capacity', unit: 'TiB' },
    { id: 2, name: 'Controller nodes', unit: 'nodes' },
  ],
};

describe('products', () => {
  it('creates a product with features and metrics, gets it by id and by slug', async () => {
    const created = await h.request({ method: 'POST', url: '/v1/products', body: cvo });
    expect(created.statusCode).toBe(201);
    const product = json(created);
    expect(Value.Check(ProductSchema, product)).toBe(true);
    expect(product).toMatchObject({ id: 1, slug: 'cvo', group: 'CVO' });
    expect(product.features).toEqual([
      { id: 'BACKUP', name: 'Backup & Restore', description: '' },
      {
        id: 'enterprise.watchdox.blackberry.com',
        name: 'WatchDox',
        description: 'Enterprise edition',
      },
    ]);
    expect(created.headers.location).toBe('/v1/products/1');
    expect(json(await h.request({ method: 'GET', url: '/v1/products/1' }))).toEqual(product);
    expect(json(await h.request({ method: 'GET', url: '/v1/products/cvo' }))).toEqual(product);
  });

  it('takes a caller-chosen numeric id (HP product_id)', async () => {
    const created = await h.request({
      method: 'POST',
      url: '/v1/products',
      body: { id: 42, slug: 'sdn', name: 'HP VAN SDN Ctrl Base' },
    });
    expect(created.statusCode).toBe(201);
    expect(json(created)).toMatchObject({ id: 42, group: null, features: [], metrics: [] });
    const again = await h.request({
      method: 'POST',
      url: '/v1/products',
      body: { id: 42, slug: 'other', name: 'x' },
    });
    expect(again.statusCode).toBe(409);
    expect(json(again).invalidFields).toEqual([
      { name: 'id', reason: 'another product has this id' },
    ]);
  });

  it('answers 409 naming the slug when it is taken, on create and on update', async () => {
    await h.request({ method: 'POST', url: '/v1/products', body: cvo });
    await h.request({
      method: 'POST',
      url: '/v1/products',
      body: { slug: 'backup', name: 'Backup' },
    });
    const create = await h.request({
      method: 'POST',
      url: '/v1/products',
      body: { ...cvo, name: 'again' },
    });
    expect(create.statusCode).toBe(409);
    expect(json(create).invalidFields).toEqual([
      { name: 'slug', reason: 'another product has this slug' },
    ]);
    const patch = await h.request({
      method: 'PATCH',
      url: '/v1/products/backup',
      body: { slug: 'cvo' },
    });
    expect(patch.statusCode).toBe(409);
    expect(json(await h.request({ method: 'GET', url: '/v1/products/backup' })).slug).toBe(
      'backup',
    );
  });

  it('names duplicate feature and metric ids and unknown units', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/products',
      body: {
        slug: 'p',
        name: 'P',
        features: [
          { id: 'A', name: 'a' },
          { id: 'A', name: 'b' },
        ],
        metrics: [
          { id: 1, name: 'm', unit: 'TiB' },
          { id: 1, name: 'n', unit: 'TiB' },
        ],
      },
    });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidFields).toEqual([
      { name: 'features.1.id', reason: "duplicate feature id 'A'" },
      { name: 'metrics.1.id', reason: 'duplicate metric id 1' },
    ]);
    const unit = await h.request({
      method: 'POST',
      url: '/v1/products',
      body: { slug: 'p', name: 'P', metrics: [{ id: 1, name: 'm', unit: 'parsecs' }] },
    });
    expect(unit.statusCode).toBe(400);
    const [issue] = json<{ invalidFields: { name: string; reason: string }[] }>(unit).invalidFields;
    expect(issue?.name).toBe('metrics.0.unit');
    expect(issue?.reason).toContain('"TiB"');
  });

  it('replaces features and metrics as a whole, patches only what is given', async () => {
    await h.request({ method: 'POST', url: '/v1/products', body: cvo });
    const replaced = await h.request({
      method: 'PUT',
      url: '/v1/products/cvo',
      body: { slug: 'cvo', name: 'CVO', metrics: [{ id: 3, name: 'Users', unit: 'users' }] },
    });
    expect(replaced.statusCode).toBe(200);
    expect(json(replaced)).toMatchObject({
      name: 'CVO',
      group: null,
      features: [],
      metrics: [{ id: 3, name: 'Users', unit: 'users' }],
    });
    const patched = await h.request({
      method: 'PATCH',
      url: '/v1/products/1',
      body: { group: 'DATA_SERVICES' },
    });
    expect(json(patched)).toMatchObject({
      name: 'CVO',
      group: 'DATA_SERVICES',
      metrics: [{ id: 3 }],
    });
    const stored = await h.store.db.selectFrom('product_metrics').selectAll().execute();
    expect(stored).toHaveLength(1);
  });

  it('deletes a product, refusing with 409 while something references it', async () => {
    await h.request({ method: 'POST', url: '/v1/products', body: cvo });
    await h.store.db.schema
      .createTable('referrer')
      .addColumn('product_id', 'integer', (col) => col.notNull().references('products.id'))
      .execute();
    await h.store.db
      .insertInto('referrer' as never)
      .values({ product_id: 1 })
      .execute();
    const refused = await h.request({ method: 'DELETE', url: '/v1/products/cvo' });
    expect(refused.statusCode).toBe(409);
    expect(json(refused).type).toBe('/problems/in-use');
    await h.store.db.deleteFrom('referrer' as never).execute();
    expect((await h.request({ method: 'DELETE', url: '/v1/products/cvo' })).statusCode).toBe(204);
    expect((await h.request({ method: 'GET', url: '/v1/products/1' })).statusCode).toBe(404);
    expect(await h.store.db.selectFrom('product_features').selectAll().execute()).toEqual([]);
  });

  it('lets every role read the catalog and only operators change it', async () => {
    await h.account('acme');
    await h.request({ method: 'POST', url: '/v1/products', body: cvo });
    for (const role of ['admin', 'viewer', 'service'] as const) {
      const token = await h.token(role, ['acme']);
      expect(
        (await h.request({ method: 'GET', url: '/v1/products', token })).statusCode,
        role,
      ).toBe(200);
      expect(
        (await h.request({ method: 'GET', url: '/v1/products/cvo', token })).statusCode,
        role,
      ).toBe(200);
      for (const [method, url, body] of [
        ['POST', '/v1/products', { slug: 'x', name: 'X' }],
        ['PUT', '/v1/products/cvo', { slug: 'cvo', name: 'X' }],
        ['PATCH', '/v1/products/cvo', { name: 'X' }],
        ['DELETE', '/v1/products/cvo', undefined],
      ] as const) {
        expect(
          (await h.request({ method, url, token, body })).statusCode,
          `${role} ${method}`,
        ).toBe(403);
      }
    }
    const instance = await h.token('instance', ['acme'], {
      instance: await h.instance('acme'),
    });
    expect(
      (await h.request({ method: 'GET', url: '/v1/products', token: instance })).statusCode,
    ).toBe(200);
    expect(json(await h.request({ method: 'GET', url: '/v1/products/cvo' })).name).toBe(
      'Cloud Volumes ONTAP',
    );
  });

  it('lists by group and name with paging', async () => {
    for (const [slug, group] of [
      ['a', 'CVO'],
      ['b', 'DATA_SERVICES'],
      ['c', 'DATA_SERVICES'],
      ['d', null],
    ] as const) {
      await h.request({
        method: 'POST',
        url: '/v1/products',
        body: { slug, name: slug.toUpperCase(), group },
      });
    }
    const services = await h.request({
      method: 'GET',
      url: `/v1/products?filter=${encodeURIComponent("group eq 'DATA_SERVICES'")}&orderBy=name%20desc`,
    });
    expect(json<{ items: { slug: string }[] }>(services).items.map((p) => p.slug)).toEqual([
      'c',
      'b',
    ]);
    const ungrouped = await h.request({
      method: 'GET',
      url: `/v1/products?filter=${encodeURIComponent('group eq null')}`,
    });
    expect(json<{ items: { slug: string }[] }>(ungrouped).items.map((p) => p.slug)).toEqual(['d']);
    const byId = await h.request({
      method: 'GET',
      url: `/v1/products?filter=${encodeURIComponent('id gt 2')}&include=id`,
    });
    expect(json(byId).items).toEqual([{ id: 3 }, { id: 4 }]);
  });
});
