/** Display helpers: quantities, dates and money as the API gives them (no recomputation). */

export function quantity(value: number | null | undefined, unit?: string | null): string {
  if (value === null || value === undefined) return '—';
  if (value < 0) return 'Unlimited';
  const text = Number.isInteger(value)
    ? value.toLocaleString('en-US')
    : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return unit === undefined || unit === null || unit === '' ? text : `${text} ${unit}`;
}

export function date(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  return iso.slice(0, 10);
}

export function dateTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Integer micro-dollars as dollars: 4550000 → $4.55. */
export function money(micros: number, currency = 'USD'): string {
  return (micros / 1e6).toLocaleString('en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: 2,
    maximumFractionDigits: 6,
  });
}

export const DAY_MS = 86_400_000;

/** `now` plus whole days, as an ISO date-time the query language takes. */
export function daysFrom(now: Date, days: number): string {
  return new Date(now.getTime() + days * DAY_MS).toISOString();
}
