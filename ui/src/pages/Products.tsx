import { Collection } from '../Collection';
import type { Column } from '../components';
import { dateTime } from '../format';
import type { Product } from '../types';

const COLUMNS: Column<Product>[] = [
  { key: 'id', label: 'Id', sort: 'id', className: 'num', render: (p) => p.id },
  { key: 'slug', label: 'Slug', sort: 'slug', render: (p) => <code>{p.slug}</code> },
  { key: 'name', label: 'Name', sort: 'name', render: (p) => p.name },
  { key: 'group', label: 'Group', sort: 'group', render: (p) => p.group ?? '—' },
  {
    key: 'metrics',
    label: 'Metrics',
    render: (p) => p.metrics.map((m) => `${m.name} (${m.unit})`).join(', ') || '—',
  },
  {
    key: 'features',
    label: 'Features',
    render: (p) => p.features.map((f) => f.id).join(', ') || '—',
  },
  { key: 'updated', label: 'Updated', sort: 'updatedAt', render: (p) => dateTime(p.updatedAt) },
];

export function ProductsPage() {
  return (
    <section>
      <h1>Products</h1>
      <Collection<Product>
        path="/v1/products"
        columns={COLUMNS}
        rowKey={(p) => String(p.id)}
        caption="Products"
        placeholder="group eq 'CVO'"
        fields="id, slug, name, group, createdAt, updatedAt"
        empty="The catalog is empty."
      />
    </section>
  );
}
