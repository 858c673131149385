import Table from 'cli-table3';
import pc from 'picocolors';

export type Colours = ReturnType<typeof pc.createColors>;

/** Colours only on a terminal, and never with NO_COLOR set. */
export function colours(stream: NodeJS.WriteStream): Colours {
  const enabled = stream.isTTY && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  return pc.createColors(enabled || process.env.FORCE_COLOR !== undefined);
}

export type Format = 'table' | 'json' | 'csv';

export function formatOf(flags: { json?: boolean; csv?: boolean }): Format {
  return flags.json === true ? 'json' : flags.csv === true ? 'csv' : 'table';
}

/** How a value reads in a cell: nested values as compact JSON, null as '-'. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
    return value.join(',');
  return JSON.stringify(value);
}

/** The terminal width, or COLUMNS, or no limit when writing to a file or pipe. */
function widthOf(stream: NodeJS.WriteStream): number {
  if (stream.isTTY) return stream.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : Number.POSITIVE_INFINITY;
}

const GAP = 2;
const MIN_WIDTH = 6;

/** Shrinks the widest columns until the row fits the width. */
export function fitWidths(natural: number[], width: number): number[] {
  const widths = [...natural];
  const budget = width - GAP * (widths.length - 1);
  let total = widths.reduce((sum, w) => sum + w, 0);
  while (total > budget) {
    let widest = 0;
    for (let i = 1; i < widths.length; i++)
      if ((widths[i] ?? 0) > (widths[widest] ?? 0)) widest = i;
    const current = widths[widest] ?? 0;
    if (current <= MIN_WIDTH) break;
    widths[widest] = current - 1;
    total--;
  }
  return widths;
}

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: ' '.repeat(GAP),
};

/** An aligned table without borders (like kubectl), truncated with '…' to the terminal width. */
export function table(head: string[], rows: string[][], stream = process.stdout): string {
  const c = colours(stream);
  const natural = head.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => stringWidth(row[i] ?? ''))),
  );
  const widths = fitWidths(natural, widthOf(stream));
  const output = new Table({
    head: head.map((title) => c.bold(c.cyan(title))),
    chars: BORDERLESS,
    colWidths: widths,
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true },
    truncate: '…',
    wordWrap: false,
  });
  output.push(...rows);
  return output
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Display width, close enough for a table: code points, not UTF-16 units. */
function stringWidth(text: string): number {
  let width = 0;
  for (const _ of text) width++;
  return width;
}

/** RFC 4180 quoting. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csv(head: string[], rows: string[][]): string {
  return [head, ...rows].map((row) => row.map(csvField).join(',')).join('\n');
}

/** Prints a list of items: chosen columns in a table, every field in JSON and CSV. */
export function printList(
  items: Record<string, unknown>[],
  columns: string[],
  format: Format,
): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
    return;
  }
  if (format === 'csv') {
    const head = [...new Set(items.flatMap((item) => Object.keys(item)))];
    const fields = head.length === 0 ? columns : head;
    process.stdout.write(
      `${csv(
        fields,
        items.map((item) => fields.map((f) => csvCell(item[f]))),
      )}\n`,
    );
    return;
  }
  if (items.length === 0) {
    process.stderr.write('no items\n');
    return;
  }
  const rows = items.map((item) => columns.map((column) => cell(item[column])));
  process.stdout.write(
    `${table(
      columns.map((column) => column.toUpperCase()),
      rows,
    )}\n`,
  );
}

/** Prints one resource: field/value rows in a table. */
export function printOne(item: Record<string, unknown>, format: Format): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(item, null, 2)}\n`);
    return;
  }
  const fields = Object.keys(item);
  if (format === 'csv') {
    process.stdout.write(`${csv(fields, [fields.map((f) => csvCell(item[f]))])}\n`);
    return;
  }
  const rows = fields.map((field) => [field, cell(item[field])]);
  process.stdout.write(`${table(['FIELD', 'VALUE'], rows)}\n`);
}

function csvCell(value: unknown): string {
  return value === null || value === undefined ? '' : cell(value);
}
