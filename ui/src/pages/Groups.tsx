import { get, getAll } from '../api';
import { DataTable, Empty, Loading, ProblemView, type Column } from '../components';
import { date, dateTime, quantity } from '../format';
import { useApi } from '../hooks';
import { setSearch, useLocation } from '../router';
import type { Account, Group, Order } from '../types';

const GROUP_COLUMNS: Column<Group>[] = [
  { key: 'name', label: 'Group', render: (g) => g.groupName },
  { key: 'users', label: 'Users', className: 'num', render: (g) => quantity(g.numberOfUsers) },
  {
    key: 'licenses',
    label: 'Licenses assigned',
    className: 'num',
    render: (g) => g.licenses.length,
  },
  { key: 'guid', label: 'GUID', render: (g) => <code>{g.guid}</code> },
  { key: 'created', label: 'Created', render: (g) => dateTime(g.createdAt) },
];

interface OrderLine {
  orderId: string;
  sku: string;
  description: string;
  quantity: number;
  assigned: number;
  unassigned: number;
  startDate?: string | undefined;
  endDate?: string | undefined;
}

const ORDER_COLUMNS: Column<OrderLine>[] = [
  { key: 'order', label: 'Order', render: (o) => <code>{o.orderId}</code> },
  { key: 'sku', label: 'SKU', render: (o) => o.sku },
  { key: 'description', label: 'Description', render: (o) => o.description || '—' },
  { key: 'quantity', label: 'Quantity', className: 'num', render: (o) => quantity(o.quantity) },
  { key: 'assigned', label: 'Assigned', className: 'num', render: (o) => quantity(o.assigned) },
  {
    key: 'unassigned',
    label: 'Unassigned',
    className: 'num',
    render: (o) => quantity(o.unassigned),
  },
  { key: 'period', label: 'Period', render: (o) => `${date(o.startDate)} → ${date(o.endDate)}` },
];

/** Group licensing for one account (chosen in the URL): its groups and its orders. */
export function GroupsPage() {
  const { search } = useLocation();
  const accounts = useApi(
    () => getAll<Account>('/v1/accounts', { include: 'id,name' }),
    'accounts',
  );
  const chosen = search.get('account') ?? accounts.data?.[0]?.id ?? '';
  const base = `/v1/accounts/${encodeURIComponent(chosen)}`;
  const groups = useApi(
    async (signal) =>
      chosen === '' ? undefined : get<{ items: Group[] }>(`${base}/groups`, undefined, signal),
    `${base}/groups`,
  );
  const orders = useApi(
    async (signal) =>
      chosen === '' ? undefined : get<{ items: Order[] }>(`${base}/orders`, undefined, signal),
    `${base}/orders`,
  );
  const lines: OrderLine[] = (orders.data?.items ?? []).flatMap((order) =>
    order.purchaseDetails.map((d) => ({
      orderId: order.orderId,
      sku: d.sku,
      description: d.description ?? '',
      quantity: d.quantity,
      assigned: d.assigned,
      unassigned: d.unassigned,
      startDate: d.startDate,
      endDate: d.endDate,
    })),
  );
  return (
    <section>
      <h1>Groups & orders</h1>
      {accounts.loading && <Loading />}
      <ProblemView error={accounts.error} />
      {accounts.data !== undefined && accounts.data.length === 0 && <Empty>No accounts.</Empty>}
      {accounts.data !== undefined && accounts.data.length > 0 && (
        <label className="inline">
          Account{' '}
          <select
            value={chosen}
            onChange={(event) => {
              setSearch({ account: event.target.value });
            }}
          >
            {accounts.data.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.id})
              </option>
            ))}
          </select>
        </label>
      )}
      <h2>Groups</h2>
      <ProblemView error={groups.error} />
      {groups.loading && <Loading />}
      {groups.data?.items.length === 0 && <Empty>No groups.</Empty>}
      {groups.data !== undefined && groups.data.items.length > 0 && (
        <DataTable
          caption="Groups"
          columns={GROUP_COLUMNS}
          rows={groups.data.items}
          rowKey={(g) => g.guid}
        />
      )}
      <h2>Orders</h2>
      <ProblemView error={orders.error} />
      {orders.loading && <Loading />}
      {orders.data !== undefined && lines.length === 0 && <Empty>No orders.</Empty>}
      {lines.length > 0 && (
        <DataTable
          caption="Orders"
          columns={ORDER_COLUMNS}
          rows={lines}
          rowKey={(o) => `${o.orderId}-${o.sku}`}
        />
      )}
    </section>
  );
}
