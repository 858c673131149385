import { useEffect, useMemo } from 'react';
import { get, getAll, quote, type Page } from '../api';
import { Badge, Empty, Loading, ProblemView } from '../components';
import { DAY_MS, date, dateTime, daysFrom, quantity } from '../format';
import { useApi } from '../hooks';
import { Link, href, setSearch, useLocation } from '../router';
import type {
  Account,
  AccountCompliance,
  AuditEvent,
  License,
  Subscription,
  UsageReport,
} from '../types';
import { UsageChart, type Series } from '../UsageChart';

/** Compliance is read per account: the overview reads at most this many at once. */
const MAX_ACCOUNTS = 100;
const HORIZON_DAYS = 90;
const USAGE_DAYS = 30;

async function pool<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return results;
}

interface AccountRow {
  account: Account;
  compliance: AccountCompliance;
}

/** The whole picture: compliance per account, what expires soon, capacity, usage, recent events. */
export function OverviewPage() {
  const { search } = useLocation();
  // "Now" is taken once per visit: the 90-day window and the usage period follow from it.
  const now = useMemo(() => new Date(), []);

  const accounts = useApi(async (signal) => {
    const list = await getAll<Account>('/v1/accounts', {}, MAX_ACCOUNTS);
    const rows = await pool(list.slice(0, MAX_ACCOUNTS), 6, async (account) => ({
      account,
      compliance: await get<AccountCompliance>(
        `/v1/accounts/${encodeURIComponent(account.id)}/compliance`,
        undefined,
        signal,
      ),
    }));
    return rows;
  }, 'compliance');

  const window90 = `expiresAt gte ${quote(now.toISOString())} and expiresAt lt ${quote(
    daysFrom(now, HORIZON_DAYS),
  )}`;
  const expiringLicenses = useApi(
    (signal) =>
      get<Page<License>>(
        '/v1/licenses',
        { filter: window90, orderBy: 'expiresAt', limit: 100, count: true },
        signal,
      ),
    window90,
  );
  const expiringSubscriptions = useApi(
    (signal) =>
      get<Page<Subscription>>(
        '/v1/subscriptions',
        {
          filter: `${window90} and status eq 'active'`,
          orderBy: 'expiresAt',
          limit: 100,
          count: true,
        },
        signal,
      ),
    window90,
  );
  const events = useApi(
    (signal) => get<Page<AuditEvent>>('/v1/events', { limit: 10 }, signal),
    'events',
  );

  const ready = !accounts.loading && !expiringLicenses.loading && !expiringSubscriptions.loading;
  useEffect(() => {
    // Read by the end-to-end test and by the time-to-render measurement (docs/dashboard.md).
    if (ready && performance.getEntriesByName('entitle:overview-ready').length === 0) {
      performance.mark('entitle:overview-ready');
    }
  }, [ready]);

  const rows = accounts.data ?? [];
  const selected = rows.find((r) => r.account.id === search.get('account')) ?? rows[0] ?? undefined;

  return (
    <section className="overview" data-ready={ready ? 'true' : 'false'}>
      <h1>Overview</h1>
      <div className="grid">
        <article className="card" aria-labelledby="h-compliance">
          <h2 id="h-compliance">Compliance by account</h2>
          {accounts.loading && accounts.data === undefined && <Loading />}
          <ProblemView error={accounts.error} />
          {accounts.data !== undefined && rows.length === 0 && (
            <Empty>No accounts yet. Operators create them under Accounts.</Empty>
          )}
          {rows.length > 0 && (
            <ul className="status-list">
              {rows.map(({ account, compliance }) => (
                <li key={account.id} data-account={account.id}>
                  <Link
                    to={href('/', { account: account.id })}
                    aria-current={selected?.account.id === account.id ? 'true' : undefined}
                  >
                    {account.name} <span className="muted">({account.id})</span>
                  </Link>
                  <span data-testid="overall-status">
                    <Badge value={compliance.overallComplianceStatus} />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </article>

        <article className="card wide" aria-labelledby="h-expiring">
          <h2 id="h-expiring">Expiring in the next {HORIZON_DAYS} days</h2>
          <Timeline
            now={now}
            licenses={expiringLicenses.data}
            subscriptions={expiringSubscriptions.data}
          />
          <ProblemView error={expiringLicenses.error} label="Licenses" />
          <ProblemView error={expiringSubscriptions.error} label="Subscriptions" />
        </article>

        <article className="card wide" aria-labelledby="h-capacity">
          <h2 id="h-capacity">Capacity: entitled vs consumed</h2>
          {accounts.loading && accounts.data === undefined && <Loading />}
          <Capacity rows={rows} />
        </article>

        <article className="card wide" aria-labelledby="h-usage">
          <h2 id="h-usage">
            Usage, last {USAGE_DAYS} days
            {selected !== undefined && <span className="muted"> · {selected.account.name}</span>}
          </h2>
          {rows.length > 1 && (
            <label className="inline">
              Account{' '}
              <select
                value={selected?.account.id ?? ''}
                onChange={(event) => {
                  setSearch({ account: event.target.value }, { replace: true });
                }}
              >
                {rows.map(({ account }) => (
                  <option key={account.id} value={account.id}>
                    {account.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {selected === undefined ? (
            accounts.loading ? (
              <Loading />
            ) : (
              <Empty>No account to chart.</Empty>
            )
          ) : (
            <Usage row={selected} now={now} />
          )}
        </article>

        <article className="card wide" aria-labelledby="h-events">
          <h2 id="h-events">Recent events</h2>
          {events.loading && events.data === undefined && <Loading />}
          <ProblemView error={events.error} />
          {events.data?.items.length === 0 && <Empty>No events yet.</Empty>}
          {events.data !== undefined && events.data.items.length > 0 && (
            <ol className="events">
              {events.data.items.map((event) => (
                <li key={event.id}>
                  <time dateTime={event.at}>{dateTime(event.at)}</time> <code>{event.type}</code>{' '}
                  {event.resourceType} <span className="muted">{event.resourceId}</span>
                  {event.accountId !== null && (
                    <span className="muted"> · {event.accountId}</span>
                  )}{' '}
                  <span className="muted">by {event.actor}</span>
                </li>
              ))}
            </ol>
          )}
          <Link to="/events">All events</Link>
        </article>
      </div>
    </section>
  );
}

interface Expiry {
  kind: 'License' | 'Subscription';
  id: string;
  label: string;
  account: string;
  at: string;
  to: string;
}

function Timeline({
  now,
  licenses,
  subscriptions,
}: {
  now: Date;
  licenses: Page<License> | undefined;
  subscriptions: Page<Subscription> | undefined;
}) {
  if (licenses === undefined || subscriptions === undefined) return <Loading />;
  const items: Expiry[] = [
    ...licenses.items.map((l): Expiry => ({
      kind: 'License',
      id: l.id,
      label: `#${String(l.serialNumber)} ${l.term.toLowerCase()} ${l.kind}`,
      account: l.accountId,
      at: l.expiresAt ?? '',
      to: `/licenses/${encodeURIComponent(l.id)}`,
    })),
    ...subscriptions.items.map((s): Expiry => ({
      kind: 'Subscription',
      id: s.id,
      label: `Subscription ${String(s.subscriptionNumber)} (${s.terms})`,
      account: s.accounts.join(', '),
      at: s.expiresAt ?? '',
      to: `/subscriptions/${s.id}`,
    })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  const licenseCount = licenses.metadata.count ?? licenses.items.length;
  const subscriptionCount = subscriptions.metadata.count ?? subscriptions.items.length;
  const daysLeft = (iso: string) =>
    Math.max(0, Math.floor((Date.parse(iso) - now.getTime()) / DAY_MS));
  return (
    <>
      <p>
        <strong data-testid="expiring-licenses">{licenseCount}</strong> licenses and{' '}
        <strong data-testid="expiring-subscriptions">{subscriptionCount}</strong> subscriptions
        expire by {date(daysFrom(now, HORIZON_DAYS))}.
      </p>
      {items.length === 0 ? (
        <Empty>Nothing expires in the next {HORIZON_DAYS} days.</Empty>
      ) : (
        <>
          <div className="timeline" aria-hidden="true">
            {[0, 30, 60, 90].map((d) => (
              <span
                key={d}
                className="tick"
                style={{ left: `${String((d / HORIZON_DAYS) * 100)}%` }}
              >
                {d === 0 ? 'today' : `+${String(d)}d`}
              </span>
            ))}
            {items.map((item) => (
              <span
                key={`${item.kind}-${item.id}`}
                className={`mark mark-${item.kind.toLowerCase()}`}
                style={{ left: `${String((daysLeft(item.at) / HORIZON_DAYS) * 100)}%` }}
                title={`${item.kind} ${item.label} · ${item.account} · ${date(item.at)}`}
              />
            ))}
          </div>
          <ul className="expiry-list">
            {items.slice(0, 12).map((item) => (
              <li key={`${item.kind}-${item.id}`}>
                <time dateTime={item.at}>{date(item.at)}</time>{' '}
                <span className="muted">({daysLeft(item.at)} days)</span>{' '}
                <Link to={item.to}>
                  {item.kind}: {item.label}
                </Link>{' '}
                <span className="muted">· {item.account}</span>
              </li>
            ))}
          </ul>
          {items.length > 12 && (
            <Link
              to={href('/licenses', {
                filter: `expiresAt lt ${quote(daysFrom(now, HORIZON_DAYS))} and expiresAt gte ${quote(now.toISOString())}`,
                orderBy: 'expiresAt',
              })}
            >
              All expiring licenses
            </Link>
          )}
        </>
      )}
    </>
  );
}

function Capacity({ rows }: { rows: AccountRow[] }) {
  const bars = rows.flatMap(({ account, compliance }) =>
    compliance.products.flatMap((product) =>
      product.metrics.map((metric) => ({ account, product, metric })),
    ),
  );
  if (rows.length > 0 && bars.length === 0) {
    return <Empty>No entitlements or usage recorded yet.</Empty>;
  }
  return (
    <ul className="bars">
      {bars.map(({ account, product, metric }) => {
        const unlimited = metric.entitled < 0;
        const share = unlimited
          ? 0
          : metric.entitled === 0
            ? metric.used > 0
              ? 1
              : 0
            : Math.min(1, metric.used / metric.entitled);
        const over = !metric.compliant;
        return (
          <li
            key={`${account.id}-${String(product.productId)}-${String(metric.metricId)}`}
            data-testid="capacity"
            data-account={account.id}
            data-product={product.slug}
            data-metric={metric.metricId}
          >
            <div className="bar-label">
              <span>
                <Link to={href('/', { account: account.id })}>{account.name}</Link> · {product.name}{' '}
                · {metric.name}
              </span>
              <span>
                <span data-testid="used">{quantity(metric.used)}</span> /{' '}
                <span data-testid="entitled">{quantity(metric.entitled)}</span> {metric.unit}
                {metric.inGrace && <Badge value="in grace" />}
                {metric.aboutToExpire && <Badge value="WARNING" title="About to expire" />}
                {over && <Badge value="NON_COMPLIANT" />}
              </span>
            </div>
            <div
              className={over ? 'bar bar-over' : 'bar'}
              role="meter"
              aria-label={`${account.name} ${product.name} ${metric.name}`}
              aria-valuemin={0}
              aria-valuemax={unlimited ? undefined : metric.entitled}
              aria-valuenow={metric.used}
            >
              <span style={{ width: `${String(share * 100)}%` }} />
            </div>
          </li>
        );
      })}
    </ul>
  );
}

function Usage({ row, now }: { row: AccountRow; now: Date }) {
  const from = date(daysFrom(now, -USAGE_DAYS + 1));
  const to = date(daysFrom(now, 1));
  const metrics = row.compliance.products.flatMap((product) =>
    product.metrics.map((metric) => ({ product, metric })),
  );
  const key = `${row.account.id}|${from}|${metrics.map((m) => `${String(m.product.productId)}.${String(m.metric.metricId)}`).join(',')}`;
  const reports = useApi(
    (signal) =>
      Promise.all(
        metrics.map(({ product, metric }) =>
          get<UsageReport>(
            `/v1/accounts/${encodeURIComponent(row.account.id)}/usage`,
            { product: product.productId, metric: metric.metricId, from, to, granularity: 'day' },
            signal,
          ),
        ),
      ),
    key,
  );
  const chart = useMemo(() => {
    const days: string[] = [];
    for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
      days.push(new Date(t).toISOString().slice(0, 10));
    }
    const series: Series[] = (reports.data ?? []).map((report, i) => {
      const byDay = new Map(report.series.map((point) => [point.period, point.deltas]));
      const m = metrics[i];
      return {
        label:
          m === undefined
            ? `metric ${String(i)}`
            : `${m.product.slug} · ${m.metric.name} (${m.metric.unit})`,
        values: days.map((day) => byDay.get(day) ?? 0),
      };
    });
    return { days, series };
    // `metrics` follows from `key`, which `reports` already depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reports.data, from, to]);

  if (metrics.length === 0) return <Empty>This account has no metered products.</Empty>;
  if (reports.loading && reports.data === undefined) return <Loading />;
  if (reports.error !== undefined) return <ProblemView error={reports.error} />;
  return (
    <>
      <UsageChart days={chart.days} series={chart.series} label="Usage per day" />
      <table className="compact">
        <caption className="sr-only">Consumption this period</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Latest gauges</th>
            <th scope="col">Deltas</th>
            <th scope="col">Used</th>
          </tr>
        </thead>
        <tbody>
          {(reports.data ?? []).map((report, i) => (
            <tr key={`${String(report.product)}-${String(report.metric)}`}>
              <td>{chart.series[i]?.label}</td>
              <td>{quantity(report.consumption.gauges)}</td>
              <td>{quantity(report.consumption.deltas)}</td>
              <td>{quantity(report.consumption.used)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
