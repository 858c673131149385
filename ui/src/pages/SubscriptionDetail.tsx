import { useState } from 'react';
import { get, request, type Page } from '../api';
import {
  Badge,
  DataTable,
  Definitions,
  Empty,
  Loading,
  ProblemView,
  type Column,
} from '../components';
import { dateTime, money, quantity } from '../format';
import { useAction, useApi } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import type { Charge, ChargePreview, Subscription } from '../types';

const CHARGE_COLUMNS: Column<Charge>[] = [
  { key: 'created', label: 'Recorded', render: (c) => dateTime(c.createdAt) },
  {
    key: 'period',
    label: 'Period',
    render: (c) => `${dateTime(c.periodStart)} → ${dateTime(c.periodEnd)}`,
  },
  { key: 'account', label: 'Billed to', render: (c) => c.accountId },
  {
    key: 'amount',
    label: 'Amount',
    className: 'num',
    render: (c) => money(c.amountMicros, c.currency),
  },
  { key: 'status', label: 'Status', render: (c) => <Badge value={c.status} /> },
];

function Breakdown({ preview }: { preview: ChargePreview }) {
  return (
    <table className="compact">
      <caption className="sr-only">Charge breakdown</caption>
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col" className="num">
            Units
          </th>
          <th scope="col" className="num">
            Unit cost
          </th>
          <th scope="col" className="num">
            Amount
          </th>
        </tr>
      </thead>
      <tbody>
        {preview.breakdown.map((line) => (
          <tr key={line.metric}>
            <td>{line.metric}</td>
            <td className="num">{line.units}</td>
            <td className="num">{money(line.unitCostMicros, preview.currency)}</td>
            <td className="num">{money(line.amountMicros, preview.currency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One subscription: its fields, its charges; edit, cancel (after seeing the charge), delete. */
export function SubscriptionDetailPage({ id }: { id: string }) {
  const session = useSession();
  const path = `/v1/subscriptions/${encodeURIComponent(id)}`;
  const subscription = useApi((signal) => get<Subscription>(path, undefined, signal), path);
  const charges = useApi(
    (signal) => get<Page<Charge>>(`${path}/charges`, { limit: 50 }, signal),
    `${path}/charges`,
  );
  const [preview, setPreview] = useState<ChargePreview | undefined>(undefined);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const action = useAction();

  const askCancel = async () => {
    setConfirmDelete(false);
    const answer = await action.run(() => get<ChargePreview>(`${path}/cancel-preview`));
    setPreview(answer);
  };

  const cancel = async (revision: number) => {
    const done = await action.run(() =>
      request<Subscription>(`${path}/cancel`, {
        method: 'POST',
        headers: { 'if-match': `"${String(revision)}"` },
      }),
    );
    if (done !== undefined) {
      setPreview(undefined);
      subscription.reload();
      charges.reload();
    }
  };

  const remove = async () => {
    const done = await action.run(() => request(path, { method: 'DELETE' }));
    if (done !== undefined) navigate('/subscriptions');
  };

  if (subscription.loading && subscription.data === undefined) return <Loading />;
  if (subscription.data === undefined) {
    return (
      <section>
        <h1>Subscription</h1>
        <ProblemView error={subscription.error} />
        <Link to="/subscriptions">Back to subscriptions</Link>
      </section>
    );
  }
  const s = subscription.data;
  return (
    <section>
      <div className="page-head">
        <h1>
          Subscription {s.subscriptionNumber} <Badge value={s.status} /> <Badge value={s.terms} />
        </h1>
        <div className="actions">
          {session.isOperator && (
            <Link to={`/subscriptions/${s.id}/edit`} className="button">
              Edit
            </Link>
          )}
          {session.canManage && s.status === 'active' && (
            <button type="button" onClick={() => void askCancel()} disabled={action.busy}>
              Cancel subscription…
            </button>
          )}
          {session.isOperator && (
            <button
              type="button"
              className="danger"
              onClick={() => {
                setPreview(undefined);
                setConfirmDelete(true);
              }}
              disabled={action.busy}
            >
              Delete…
            </button>
          )}
        </div>
      </div>
      <ProblemView error={action.error} />
      {preview !== undefined && (
        <div className="confirm" role="dialog" aria-labelledby="h-cancel" aria-modal="false">
          <h2 id="h-cancel">Cancel subscription {s.subscriptionNumber}?</h2>
          <p>
            Cancelling now records a pending charge of{' '}
            <strong data-testid="preview-amount">
              {money(preview.amountMicros, preview.currency)}
            </strong>{' '}
            billed to <code>{preview.accountId}</code> for {dateTime(preview.periodStart)} →{' '}
            {dateTime(preview.periodEnd)}.
          </p>
          <Breakdown preview={preview} />
          <div className="form-actions">
            <button
              type="button"
              className="danger"
              disabled={action.busy}
              onClick={() => void cancel(s.revision)}
            >
              Confirm cancellation
            </button>
            <button
              type="button"
              onClick={() => {
                setPreview(undefined);
              }}
            >
              Keep it
            </button>
          </div>
        </div>
      )}
      {confirmDelete && (
        <div className="confirm" role="dialog" aria-labelledby="h-delete" aria-modal="false">
          <h2 id="h-delete">Delete subscription {s.subscriptionNumber}?</h2>
          <p>Its pending charges are voided (kept, marked void, for billing&apos;s records).</p>
          <div className="form-actions">
            <button
              type="button"
              className="danger"
              disabled={action.busy}
              onClick={() => void remove()}
            >
              Delete
            </button>
            <button
              type="button"
              onClick={() => {
                setConfirmDelete(false);
              }}
            >
              Keep it
            </button>
          </div>
        </div>
      )}
      <article className="card">
        <Definitions
          items={[
            ['Id', <code key="id">{s.id}</code>],
            ['Accounts', s.accounts.join(', ')],
            ['Product', s.productId ?? '—'],
            ['Entitled capacity', quantity(s.entitledCapacity, s.capacityUnit)],
            ['Expires', dateTime(s.expiresAt)],
            ['Period start', dateTime(s.periodStart)],
            ['Cancelled', dateTime(s.cancelledAt)],
            ['App limit', quantity(s.appLimit)],
            ['Namespace limit', quantity(s.namespaceLimit)],
            ['Subscription period (days)', quantity(s.subscriptionPeriod)],
            ['Grace period (days)', quantity(s.gracePeriod)],
            ['Reminder before (days)', quantity(s.reminderBeforePeriod)],
            ['Onboard status', s.onboardStatus],
            ['Cost per app', money(Math.round(s.costPerAppUnit * 1e6))],
            ['Cost per namespace', money(Math.round(s.costPerNamespaceUnit * 1e6))],
            ['Marketplace', s.marketplace ?? '—'],
            ['Purchase order', s.purchaseOrderNumber ?? '—'],
            ['License SN', s.licenseSN ?? '—'],
            ['Customer profile', s.customerProfileID === '' ? '—' : s.customerProfileID],
            ['Payment profile', s.paymentProfileID === '' ? '—' : s.paymentProfileID],
            ['Version', s.version],
            ['Revision', s.revision],
            [
              'Labels',
              s.metadata.labels.length === 0
                ? '—'
                : s.metadata.labels.map((l) => `${l.name}=${l.value}`).join(', '),
            ],
            ['Created', `${dateTime(s.metadata.creationTimestamp)} by ${s.metadata.createdBy}`],
            [
              'Modified',
              `${dateTime(s.metadata.modificationTimestamp)}${
                s.metadata.modifiedBy === undefined ? '' : ` by ${s.metadata.modifiedBy}`
              }`,
            ],
          ]}
        />
      </article>
      <h2>Charges</h2>
      <ProblemView error={charges.error} />
      {charges.loading && charges.data === undefined && <Loading />}
      {charges.data?.items.length === 0 && <Empty>No charges yet: cancelling records one.</Empty>}
      {charges.data !== undefined && charges.data.items.length > 0 && (
        <DataTable
          caption="Charges"
          columns={CHARGE_COLUMNS}
          rows={charges.data.items}
          rowKey={(c) => c.id}
        />
      )}
      <p>
        <Link to="/subscriptions">Back to subscriptions</Link>
      </p>
    </section>
  );
}
