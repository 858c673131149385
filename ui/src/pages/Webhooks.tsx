import { useState } from 'react';
import { get, request } from '../api';
import { Badge, Definitions, Loading, ProblemView, type Column } from '../components';
import { Collection } from '../Collection';
import { dateTime } from '../format';
import { useAction, useApi } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import type { Delivery, Webhook } from '../types';

const COLUMNS: Column<Webhook>[] = [
  {
    key: 'url',
    label: 'URL',
    sort: 'url',
    render: (w) => <Link to={`/webhooks/${w.id}`}>{w.url}</Link>,
  },
  {
    key: 'account',
    label: 'Account',
    sort: 'accountId',
    render: (w) => w.accountId ?? 'all (global)',
  },
  { key: 'events', label: 'Events', render: (w) => w.eventTypes.join(', ') },
  {
    key: 'enabled',
    label: 'State',
    sort: 'enabled',
    render: (w) => (
      <Badge value={w.enabled ? 'active' : 'inactive'} title={w.disabledReason ?? undefined} />
    ),
  },
  {
    key: 'failures',
    label: 'Failures in a row',
    sort: 'consecutiveFailures',
    className: 'num',
    render: (w) => w.consecutiveFailures,
  },
];

export function WebhooksPage() {
  return (
    <section>
      <h1>Webhook endpoints</h1>
      <Collection<Webhook>
        path="/v1/webhooks"
        columns={COLUMNS}
        rowKey={(w) => w.id}
        rowLink={(w) => `/webhooks/${w.id}`}
        caption="Webhook endpoints"
        placeholder="enabled eq false"
        fields="id, accountId, url, description, enabled, consecutiveFailures, disabledAt, createdAt, updatedAt"
        empty="No webhook endpoints."
      />
    </section>
  );
}

/** An endpoint and its delivery log; delivered or failed deliveries can be sent again. */
export function WebhookDetailPage({ id }: { id: string }) {
  const session = useSession();
  const path = `/v1/webhooks/${encodeURIComponent(id)}`;
  const webhook = useApi((signal) => get<Webhook>(path, undefined, signal), path);
  const action = useAction();
  const [version, setVersion] = useState(0);

  const redeliver = async (delivery: Delivery) => {
    const done = await action.run(() =>
      request(`${path}/deliveries/${String(delivery.id)}/redeliver`, { method: 'POST' }),
    );
    if (done !== undefined) setVersion((v) => v + 1);
  };

  const columns: Column<Delivery>[] = [
    { key: 'id', label: 'Id', sort: 'id', className: 'num', render: (d) => d.id },
    { key: 'type', label: 'Event', sort: 'eventType', render: (d) => <code>{d.eventType}</code> },
    { key: 'status', label: 'Status', sort: 'status', render: (d) => <Badge value={d.status} /> },
    {
      key: 'attempts',
      label: 'Attempts',
      sort: 'attempts',
      className: 'num',
      render: (d) => d.attempts,
    },
    {
      key: 'code',
      label: 'Last answer',
      sort: 'lastStatusCode',
      render: (d) => d.lastStatusCode ?? d.lastError ?? '—',
    },
    {
      key: 'last',
      label: 'Last attempt',
      sort: 'lastAttemptAt',
      render: (d) => dateTime(d.lastAttemptAt),
    },
    {
      key: 'next',
      label: 'Next attempt',
      sort: 'nextAttemptAt',
      render: (d) => dateTime(d.nextAttemptAt),
    },
    {
      key: 'redeliver',
      label: '',
      render: (d) =>
        session.canManage && d.status !== 'pending' ? (
          <button type="button" disabled={action.busy} onClick={() => void redeliver(d)}>
            Redeliver
          </button>
        ) : null,
    },
  ];

  if (webhook.loading && webhook.data === undefined) return <Loading />;
  if (webhook.data === undefined) return <ProblemView error={webhook.error} />;
  const w = webhook.data;
  return (
    <section>
      <h1>
        Webhook endpoint <Badge value={w.enabled ? 'active' : 'inactive'} />
      </h1>
      <article className="card">
        <Definitions
          items={[
            ['URL', <code key="u">{w.url}</code>],
            ['Account', w.accountId ?? 'all (global)'],
            ['Description', w.description || '—'],
            ['Events', w.eventTypes.join(', ')],
            ['Failures in a row', w.consecutiveFailures],
            [
              'Disabled',
              w.disabledAt === null ? '—' : `${dateTime(w.disabledAt)}: ${w.disabledReason ?? ''}`,
            ],
            ['Created', dateTime(w.createdAt)],
          ]}
        />
      </article>
      <h2>Deliveries</h2>
      <ProblemView error={action.error} />
      <Collection<Delivery>
        path={`${path}/deliveries`}
        columns={columns}
        rowKey={(d) => String(d.id)}
        caption="Deliveries"
        placeholder="status eq 'failed'"
        fields="id, eventId, eventType, status, attempts, nextAttemptAt, lastAttemptAt, lastStatusCode, createdAt, deliveredAt"
        empty="Nothing delivered yet."
        version={version}
      />
    </section>
  );
}
