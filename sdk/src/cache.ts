/** A bounded map that forgets the least recently used entry first, with a per-entry expiry. */
export class LruCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value, if present and not expired at `now` (ms); a hit becomes the most recent. */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * How long a validate answer may be reused, in seconds: `Cache-Control: no-store`/`no-cache`
 * → 0, `max-age=N` → N, else a `ttl`/`ttlSeconds` field of the body, else `fallback`.
 */
export function ttlOf(headers: Headers, body: unknown, fallback: number): number {
  const control = headers.get('cache-control');
  if (control !== null) {
    // The SDK's cache is a private one: `private` allows it, `no-store`/`no-cache` do not.
    if (/(?:^|,)\s*no-(?:store|cache)\b/i.test(control)) return 0;
    const maxAge = /(?:^|,)\s*max-age\s*=\s*"?(\d+)/i.exec(control);
    if (maxAge?.[1] !== undefined) return Number(maxAge[1]);
  }
  if (typeof body === 'object' && body !== null) {
    const record = body as Record<string, unknown>;
    const ttl = record.ttlSeconds ?? record.ttl;
    if (typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0) return ttl;
  }
  return fallback;
}
