import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { parse } from 'csv-parse/sync';
import { EntitleError, type Entitle, type LicenseCreate } from '#sdk';
import { UsageError } from './context.js';
import { csv } from './output.js';

/** CSV columns and how each becomes a license field. */
const COLUMNS: Record<string, (value: string) => [keyof LicenseCreate, unknown]> = {
  serialNumber: (v) => ['serialNumber', integer(v, 'serialNumber')],
  accountId: (v) => ['accountId', v],
  account: (v) => ['accountId', v],
  product: (v) => ['product', /^\d+$/.test(v) ? Number(v) : v],
  key: (v) => ['key', v],
  kind: (v) => ['kind', v],
  term: (v) => ['term', v],
  service: (v) => ['service', v],
  group: (v) => ['group', v],
  metricId: (v) => ['metricId', integer(v, 'metricId')],
  quantity: (v) => ['quantity', number(v, 'quantity')],
  features: (v) => [
    'features',
    v
      .split(/[;|]/)
      .map((f) => f.trim())
      .filter((f) => f !== ''),
  ],
  description: (v) => ['description', v],
  startsAt: (v) => ['startsAt', v],
  expiresAt: (v) => ['expiresAt', v],
  graceDays: (v) => ['graceDays', integer(v, 'graceDays')],
  seatLimit: (v) => ['seatLimit', integer(v, 'seatLimit')],
  orderId: (v) => ['orderId', v],
  sku: (v) => ['sku', v],
};

class RowError extends Error {}

function integer(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RowError(`${name}: not an integer: '${value}'`);
  return parsed;
}

function number(value: string, name: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed))
    throw new RowError(`${name}: not a number: '${value}'`);
  return parsed;
}

export type RowResult = 'created' | 'exists' | 'failed';

interface StateLine {
  row: number;
  serialNumber: number | null;
  result: RowResult;
  id?: string;
  detail?: string;
}

export interface ImportOptions {
  file: string;
  batchSize: number;
  account?: string;
  product?: string;
  /** Start over: ignore (and replace) the state file. */
  restart?: boolean;
  progress: NodeJS.WriteStream;
}

export interface ImportSummary {
  file: string;
  rows: number;
  created: number;
  exists: number;
  failed: number;
  skipped: number;
  interrupted: boolean;
  stateFile: string;
  reportFile: string;
}

/** The state file beside the CSV: one JSON line per finished row, appended after each batch. */
export const stateFileOf = (file: string) => `${file}.import-state`;
export const reportFileOf = (file: string) => `${file}.results.csv`;

function readState(path: string): Map<number, StateLine> {
  const done = new Map<number, StateLine>();
  if (!existsSync(path)) return done;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as StateLine;
      done.set(entry.row, entry);
    } catch {
      // A line cut short by a crash: its batch is sent again, and the server says "exists".
    }
  }
  return done;
}

/** Progress: a bar on a terminal, a plain line at every 10 % otherwise. */
function progressOf(stream: NodeJS.WriteStream, total: number) {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          'importing {bar} {percentage}% | {value}/{total} rows | created {created} exists {exists} failed {failed} | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    return {
      start: (done: number, counts: object) => {
        bar.start(total, done, counts);
      },
      update: (done: number, counts: object) => {
        bar.update(done, counts);
      },
      stop: () => {
        bar.stop();
      },
    };
  }
  let nextStep = 0;
  const line = (done: number, counts: Record<string, number>) => {
    const percent = total === 0 ? 100 : Math.floor((done * 100) / total);
    stream.write(
      `progress: ${String(done)}/${String(total)} rows (${String(percent)}%) created ${String(counts.created ?? 0)} exists ${String(counts.exists ?? 0)} failed ${String(counts.failed ?? 0)}\n`,
    );
  };
  return {
    start: (done: number, counts: Record<string, number>) => {
      line(done, counts);
      nextStep = Math.floor((done * 10) / Math.max(total, 1)) + 1;
    },
    update: (done: number, counts: Record<string, number>) => {
      const step = Math.floor((done * 10) / Math.max(total, 1));
      if (step >= nextStep || done === total) {
        if (done === total && nextStep > 10) return;
        line(done, counts);
        nextStep = step + 1;
      }
    },
    stop: () => undefined,
  };
}

/**
 * Imports licenses from a CSV (a header row naming the columns; `serialNumber` required).
 * Resumable and idempotent: the caller-chosen serial number makes the server refuse a second
 * copy (409 → "exists"), and the state file beside the CSV lets a re-run skip finished rows.
 */
export async function importLicenses(
  sdk: Entitle,
  options: ImportOptions,
  stop: { requested: boolean },
): Promise<ImportSummary> {
  const text = readFileSync(options.file, 'utf8');
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new UsageError(
      `${options.file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const header = records[0] === undefined ? [] : Object.keys(records[0]);
  const unknown = header.filter((column) => !(column in COLUMNS));
  if (unknown.length > 0) {
    throw new UsageError(
      `${options.file}: unknown column(s) ${unknown.join(', ')}; known: ${Object.keys(COLUMNS).join(', ')}`,
    );
  }
  if (records.length > 0 && !header.includes('serialNumber')) {
    throw new UsageError(
      `${options.file}: a serialNumber column is required (it makes re-runs safe)`,
    );
  }

  const stateFile = stateFileOf(options.file);
  if (options.restart === true) writeFileSync(stateFile, '');
  const state = readState(stateFile);
  const counts = { created: 0, exists: 0, failed: 0, skipped: 0 };
  const todo: {
    row: number;
    body: LicenseCreate | null;
    serialNumber: number | null;
    error?: string;
  }[] = [];
  records.forEach((record, index) => {
    const row = index + 1;
    const previous = state.get(row);
    if (previous !== undefined && previous.result !== 'failed') {
      counts.skipped++;
      return;
    }
    try {
      const body: Record<string, unknown> = {};
      if (options.account !== undefined) body.accountId = options.account;
      if (options.product !== undefined) body.product = options.product;
      for (const [column, value] of Object.entries(record)) {
        if (value === '') continue;
        const [field, converted] = (COLUMNS[column] as (v: string) => [string, unknown])(value);
        body[field] = converted;
      }
      if (typeof body.accountId !== 'string')
        throw new RowError('accountId: missing (column or --account)');
      if (typeof body.serialNumber !== 'number') throw new RowError('serialNumber: missing');
      todo.push({ row, body: body as unknown as LicenseCreate, serialNumber: body.serialNumber });
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      todo.push({ row, body: null, serialNumber: null, error: error.message });
    }
  });

  const total = records.length;
  let done = counts.skipped;
  const progress = progressOf(options.progress, total);
  progress.start(done, counts);
  const record = (lines: StateLine[]) => {
    for (const line of lines) counts[line.result]++;
    appendFileSync(stateFile, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    done += lines.length;
    progress.update(done, counts);
  };

  let interrupted = false;
  try {
    for (let start = 0; start < todo.length; start += options.batchSize) {
      if (stop.requested) {
        interrupted = true;
        break;
      }
      const batch = todo.slice(start, start + options.batchSize);
      const bad = batch.filter((item) => item.body === null);
      const good = batch.filter((item) => item.body !== null);
      const lines: StateLine[] = bad.map((item) => ({
        row: item.row,
        serialNumber: null,
        result: 'failed',
        detail: item.error,
      }));
      lines.push(...(await sendBatch(sdk, good)));
      record(lines);
    }
  } finally {
    progress.stop();
  }
  const reportFile = reportFileOf(options.file);
  writeReport(reportFile, readState(stateFile));
  return { file: options.file, rows: total, ...counts, interrupted, stateFile, reportFile };
}

/** One request for the batch; when the server refuses it, row by row to name each outcome. */
async function sendBatch(
  sdk: Entitle,
  items: { row: number; body: LicenseCreate | null; serialNumber: number | null }[],
): Promise<StateLine[]> {
  if (items.length === 0) return [];
  const bodies = items.map((item) => item.body as LicenseCreate);
  try {
    const created = await sdk.licenses.createBatch(bodies);
    return items.map((item, i) => ({
      row: item.row,
      serialNumber: item.serialNumber,
      result: 'created',
      id: created[i]?.id,
    }));
  } catch (error) {
    if (!(error instanceof EntitleError) || (error.status !== 400 && error.status !== 409))
      throw error;
  }
  const lines: StateLine[] = [];
  for (const [i, item] of items.entries()) {
    try {
      const license = await sdk.licenses.create(bodies[i] as LicenseCreate);
      lines.push({
        row: item.row,
        serialNumber: item.serialNumber,
        result: 'created',
        id: license.id,
      });
    } catch (error) {
      if (
        !(error instanceof EntitleError) ||
        (error.status !== 400 && error.status !== 409 && error.status !== 404)
      ) {
        throw error;
      }
      const taken = error.status === 409 && error.invalidFields.includes('serialNumber');
      lines.push({
        row: item.row,
        serialNumber: item.serialNumber,
        result: taken ? 'exists' : 'failed',
        detail: taken
          ? 'serial number already imported'
          : [error.title, ...error.invalid.map((field) => `${field.name}: ${field.reason}`)].join(
              '; ',
            ),
      });
    }
  }
  return lines;
}

function writeReport(path: string, state: Map<number, StateLine>): void {
  const rows = [...state.values()]
    .sort((a, b) => a.row - b.row)
    .map((line) => [
      String(line.row),
      line.serialNumber === null ? '' : String(line.serialNumber),
      line.result,
      line.id ?? '',
      line.detail ?? '',
    ]);
  writeFileSync(path, `${csv(['row', 'serialNumber', 'result', 'id', 'detail'], rows)}\n`);
}
