import { Collection } from '../Collection';
import type { Column } from '../components';
import { dateTime } from '../format';
import type { AuditEvent } from '../types';

const COLUMNS: Column<AuditEvent>[] = [
  { key: 'id', label: 'Id', sort: 'id', className: 'num', render: (e) => e.id },
  { key: 'at', label: 'When', sort: 'at', render: (e) => dateTime(e.at) },
  { key: 'type', label: 'Type', sort: 'type', render: (e) => <code>{e.type}</code> },
  {
    key: 'resource',
    label: 'Resource',
    sort: 'resourceType',
    render: (e) => `${e.resourceType} ${e.resourceId}`,
  },
  { key: 'account', label: 'Account', sort: 'accountId', render: (e) => e.accountId ?? '—' },
  { key: 'actor', label: 'Actor', sort: 'actor', render: (e) => `${e.actor} (${e.actorRole})` },
  { key: 'request', label: 'Request id', render: (e) => e.requestId ?? '—' },
];

export function EventsPage() {
  return (
    <section>
      <h1>Events</h1>
      <Collection<AuditEvent>
        path="/v1/events"
        columns={COLUMNS}
        rowKey={(e) => String(e.id)}
        caption="Events"
        placeholder="type eq 'license.created'"
        fields="id, at, type, actor, resourceType, resourceId, accountId, requestId"
        empty="No events."
        pageSize={50}
      />
    </section>
  );
}
