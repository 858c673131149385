import { useState, type ChangeEvent, type SyntheticEvent } from 'react';
import { getAll, request } from '../api';
import { Badge, DataTable, Field, Loading, ProblemView, type Column } from '../components';
import { useAction, useApi } from '../hooks';
import { Link } from '../router';
import type { Account, InstallResult } from '../types';

/** The API takes at most this many keys per call. */
const BATCH = 500;

/**
 * Keys from pasted text or a CSV file: one key per line, or the `key` column of a CSV with a
 * header (else its first column). Blank lines are skipped.
 */
export function parseKeys(text: string): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length === 0) return [];
  const cells = (line: string) =>
    line.split(',').map((cell) =>
      cell
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .replace(/""/g, '"'),
    );
  const header = cells(lines[0] ?? '').map((cell) => cell.toLowerCase());
  const keyColumn = header.findIndex((cell) => cell === 'key' || cell === 'license key');
  const csv = lines.some((line) => line.includes(','));
  const rows = keyColumn >= 0 ? lines.slice(1) : lines;
  const column = keyColumn >= 0 ? keyColumn : 0;
  return rows.map((line) => (csv ? (cells(line)[column] ?? '') : line)).filter((key) => key !== '');
}

const OK = new Set(['success', 'already installed']);

const COLUMNS: Column<InstallResult & { index: number }>[] = [
  { key: 'n', label: '#', className: 'num', render: (r) => r.index + 1 },
  { key: 'key', label: 'Key', render: (r) => <code>{r.key}</code> },
  {
    key: 'result',
    label: 'Result',
    render: (r) => (
      <Badge value={r.result} title={OK.has(r.result) ? 'Imported' : 'Not imported'} />
    ),
  },
];

/** Bulk import: keys into an account's wallet or onto an instance, with one result per key. */
export function ImportKeysPage() {
  const accounts = useApi(
    () => getAll<Account>('/v1/accounts', { include: 'id,name' }),
    'accounts',
  );
  const [target, setTarget] = useState<'account' | 'instance'>('account');
  const [accountId, setAccountId] = useState('');
  const [instance, setInstance] = useState('');
  const [text, setText] = useState('');
  const [results, setResults] = useState<InstallResult[] | undefined>(undefined);
  const action = useAction();
  const keys = parseKeys(text);

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file !== undefined) setText(await file.text());
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setResults(undefined);
    const all: InstallResult[] = [];
    const done = await action.run(async () => {
      for (let i = 0; i < keys.length; i += BATCH) {
        const body =
          target === 'account'
            ? { accountId, keys: keys.slice(i, i + BATCH) }
            : { instance, keys: keys.slice(i, i + BATCH) };
        const answer = await request<{ results: InstallResult[] }>('/v1/licenses/install', {
          method: 'POST',
          body,
        });
        all.push(...answer.data.results);
      }
      return true;
    });
    // Batches already answered are shown even when a later one failed.
    if (done !== undefined || all.length > 0) setResults(all);
  };

  const imported = results?.filter((r) => OK.has(r.result)).length ?? 0;
  const reason = (name: string) => action.error?.fieldReason(name);
  return (
    <section>
      <h1>Import license keys</h1>
      <p className="muted">
        Paste keys (one per line) or upload a CSV. Each key gets its own result; importing again is
        harmless. A well-formed key nobody issued is kept as an <em>invalid</em> license.
      </p>
      {accounts.loading && <Loading />}
      <ProblemView error={accounts.error} />
      <form className="form" onSubmit={(event) => void submit(event)}>
        <fieldset>
          <legend>Into</legend>
          <label className="inline">
            <input
              type="radio"
              name="target"
              checked={target === 'account'}
              onChange={() => {
                setTarget('account');
              }}
            />{' '}
            an account&apos;s wallet
          </label>
          <label className="inline">
            <input
              type="radio"
              name="target"
              checked={target === 'instance'}
              onChange={() => {
                setTarget('instance');
              }}
            />{' '}
            an instance (activates the keys there)
          </label>
        </fieldset>
        {target === 'account' ? (
          <Field label="Account" name="accountId" reason={reason('accountId')}>
            <select
              id="f-accountId"
              value={accountId}
              onChange={(event) => {
                setAccountId(event.target.value);
              }}
            >
              <option value="">Choose an account</option>
              {accounts.data?.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.id})
                </option>
              ))}
            </select>
          </Field>
        ) : (
          <Field label="Instance id" name="instance" reason={reason('instance')}>
            <input
              id="f-instance"
              value={instance}
              onChange={(event) => {
                setInstance(event.target.value);
              }}
              spellCheck={false}
            />
          </Field>
        )}
        <Field
          label="Keys"
          name="keys"
          reason={reason('keys')}
          hint={`${String(keys.length)} keys`}
        >
          <textarea
            id="f-keys"
            rows={8}
            value={text}
            spellCheck={false}
            onChange={(event) => {
              setText(event.target.value);
            }}
          />
        </Field>
        <Field label="Or a CSV file" name="file">
          <input
            id="f-file"
            type="file"
            accept=".csv,text/csv,text/plain"
            onChange={(event) => void onFile(event)}
          />
        </Field>
        <ProblemView error={action.error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={action.busy || keys.length === 0}>
            {action.busy ? 'Importing…' : `Import ${String(keys.length)} keys`}
          </button>
          <Link to="/licenses">Back to licenses</Link>
        </div>
      </form>
      {results !== undefined && (
        <section aria-labelledby="h-results">
          <h2 id="h-results">Results</h2>
          <p role="status" data-testid="import-summary">
            {imported} of {results.length} keys imported.
          </p>
          <DataTable
            caption="Import results"
            columns={COLUMNS}
            rows={results.map((r, index) => ({ ...r, index }))}
            rowKey={(r) => String(r.index)}
          />
        </section>
      )}
    </section>
  );
}
