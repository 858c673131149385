const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds in `3600`, `90m`, `12h` or `30d`; null when the text is none of those. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (match === null) return null;
  return Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1);
}
