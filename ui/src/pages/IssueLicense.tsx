import { useState, type SyntheticEvent } from 'react';
import { getAll, request } from '../api';
import { Field, Loading, ProblemView } from '../components';
import { useAction, useApi } from '../hooks';
import { navigate } from '../router';
import type { Account, License, Product } from '../types';

const KINDS = ['node', 'capacity', 'data-service', 'feature'];
const TERMS = ['PERPETUAL', 'SUBSCRIPTION', 'TRIAL', 'DEMO'];

/** Operators issue a license; the API's reasons appear next to the fields they name. */
export function IssueLicensePage() {
  const lists = useApi(
    async () => ({
      accounts: await getAll<Account>('/v1/accounts', { include: 'id,name' }),
      products: await getAll<Product>('/v1/products'),
    }),
    'issue-lists',
  );
  const [form, setForm] = useState({
    accountId: '',
    product: '',
    kind: 'node',
    term: 'SUBSCRIPTION',
    metricId: '',
    quantity: '1',
    expiresAt: '',
    seatLimit: '',
    graceDays: '',
    key: '',
    description: '',
  });
  const action = useAction();
  const set = (name: keyof typeof form) => (event: { target: { value: string } }) => {
    setForm({ ...form, [name]: event.target.value });
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const body: Record<string, unknown> = {
      accountId: form.accountId,
      kind: form.kind,
      term: form.term,
    };
    if (form.product !== '') body.product = Number(form.product);
    if (form.metricId !== '') body.metricId = Number(form.metricId);
    if (form.quantity !== '') body.quantity = Number(form.quantity);
    if (form.expiresAt !== '') body.expiresAt = `${form.expiresAt}T00:00:00.000Z`;
    if (form.seatLimit !== '') body.seatLimit = Number(form.seatLimit);
    if (form.graceDays !== '') body.graceDays = Number(form.graceDays);
    if (form.key.trim() !== '') body.key = form.key.trim();
    if (form.description !== '') body.description = form.description;
    const created = await action.run(() =>
      request<License>('/v1/licenses', { method: 'POST', body }),
    );
    if (created !== undefined) navigate(`/licenses/${encodeURIComponent(created.data.id)}`);
  };

  if (lists.loading) return <Loading />;
  const product = lists.data?.products.find((p) => String(p.id) === form.product);
  const reason = (name: string) => action.error?.fieldReason(name);
  return (
    <section>
      <h1>Issue a license</h1>
      <ProblemView error={lists.error} />
      <form className="form" onSubmit={(event) => void submit(event)} noValidate>
        <Field label="Account" name="accountId" reason={reason('accountId')}>
          <select id="f-accountId" value={form.accountId} onChange={set('accountId')}>
            <option value="">Choose an account</option>
            {lists.data?.accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.id})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Product" name="product" reason={reason('product')}>
          <select id="f-product" value={form.product} onChange={set('product')}>
            <option value="">None</option>
            {lists.data?.products.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.slug})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Kind" name="kind" reason={reason('kind')}>
          <select id="f-kind" value={form.kind} onChange={set('kind')}>
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </Field>
        <Field label="Term" name="term" reason={reason('term')}>
          <select id="f-term" value={form.term} onChange={set('term')}>
            {TERMS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </Field>
        <Field label="Metric" name="metricId" reason={reason('metricId')}>
          <select id="f-metricId" value={form.metricId} onChange={set('metricId')}>
            <option value="">None</option>
            {product?.metrics.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({m.unit})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Quantity" name="quantity" reason={reason('quantity')} hint="-1 is unlimited.">
          <input
            id="f-quantity"
            inputMode="decimal"
            value={form.quantity}
            onChange={set('quantity')}
          />
        </Field>
        <Field label="Expires (UTC date)" name="expiresAt" reason={reason('expiresAt')}>
          <input id="f-expiresAt" type="date" value={form.expiresAt} onChange={set('expiresAt')} />
        </Field>
        <Field
          label="Seat limit"
          name="seatLimit"
          reason={reason('seatLimit')}
          hint="Empty: no limit."
        >
          <input
            id="f-seatLimit"
            inputMode="numeric"
            value={form.seatLimit}
            onChange={set('seatLimit')}
          />
        </Field>
        <Field label="Grace days" name="graceDays" reason={reason('graceDays')}>
          <input
            id="f-graceDays"
            inputMode="numeric"
            value={form.graceDays}
            onChange={set('graceDays')}
          />
        </Field>
        <Field
          label="Key"
          name="key"
          reason={reason('key')}
          hint="Only to register a key issued elsewhere; a native key is generated otherwise."
        >
          <input id="f-key" value={form.key} onChange={set('key')} spellCheck={false} />
        </Field>
        <Field label="Description" name="description" reason={reason('description')}>
          <input id="f-description" value={form.description} onChange={set('description')} />
        </Field>
        <ProblemView error={action.error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={action.busy}>
            {action.busy ? 'Issuing…' : 'Issue'}
          </button>
          <button
            type="button"
            onClick={() => {
              navigate('/licenses');
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
