import type { AddressInfo } from 'node:net';
import { createHarness, type Harness } from '../helpers/harness.js';

/** A harness whose app also listens on 127.0.0.1 (a random port): a real server for clients. */
export async function listeningHarness(): Promise<Harness & { url: string }> {
  const harness = await createHarness();
  await harness.app.listen({ host: '127.0.0.1', port: 0 });
  const address = harness.app.server.address() as AddressInfo;
  return Object.assign(harness, { url: `http://127.0.0.1:${String(address.port)}` });
}

/** Creates account `acme` and product `cvo` (metric 1 in TiB, feature BACKUP) as the operator. */
export async function seed(harness: Harness): Promise<void> {
  await harness.account('acme', 'Acme Corp');
  const product = await harness.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'cvo',
      name: 'Cloud Volumes ONTAP',
      features: [{ id: 'BACKUP', name: 'Backup' }],
      metrics: [{ id: 1, name: 'Capacity', unit: 'TiB' }],
    },
  });
  if (product.statusCode !== 201) throw new Error(`product: ${product.body}`);
}
