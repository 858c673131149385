import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * License keys: telling the key schemes apart by format alone, checking Entitle's own keys without
 * a database lookup, and redacting keys for logs.
 *
 * Schemes, tried in this order:
 *
 * - `native`: Entitle's keys, `8XXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`: 40 symbols of
 *   Crockford base32 (5 bits each, 200 bits) in 8 groups of 5 — the shape NetProfiler keys have,
 *   so the NetProfiler facade can hand them out unchanged. Layout, by symbol:
 *
 *   | symbols | bits | content                                                               |
 *   | ------- | ---- | --------------------------------------------------------------------- |
 *   | 0       | 5    | version marker `8` (layout v1)                                        |
 *   | 1–30    | 150  | random bits (the first 150 bits of 19 caller-supplied random bytes)   |
 *   | 31–38   | 40   | MAC: HMAC-SHA256 under the server secret over symbols 0–30, truncated |
 *   | 39      | 5    | check symbol: GF(32) weighted sum over symbols 0–38                   |
 *
 *   The check symbol (see `weightedSum`) catches EVERY single-symbol substitution and EVERY
 *   transposition of two adjacent different symbols, deterministically; the MAC makes a forged or
 *   otherwise mistyped key pass with probability 2^-40 (≤ 2^-30 as required). A failed check
 *   symbol is BAD_CHECK, decided without touching the store.
 * - `upstream`: a key of native shape whose check symbol holds but whose MAC is not this server's:
 *   a native key of another Entitle server, typically the vendor's upstream this one federates
 *   with (see docs/federation.md). Like `opaque`, it is a key only once registered here (an
 *   upstream fetch registers the keys it brings); unregistered, it reads as a bad key. A forger
 *   who fixes the check symbol therefore costs one indexed lookup, never a licence.
 *   Input is case-insensitive, follows Crockford's aliases (`I`/`L` → `1`, `O` → `0`) and ignores
 *   spaces and dashes anywhere; the normalized form is the upper-case canonical grouping.
 * - `netprofiler`: foreign keys of NetProfiler's shape, 8 dash-separated groups of 5 of
 *   `[A-Z0-9+/]`, e.g. `SSIF1-VUDHF-7QGZJ-YUHYW-YYA5J-EK9WS-V4/W4-CC3D6`. Case-insensitive.
 * - `hp`: HP VAN SDN keys, 4 dash-separated groups of 13 of RFC 4648 base32 (`A-Z2-7`), e.g.
 *   `CYIBMJJIHJQA6-IRTEQ2QUNBYCA-CSSDJIEIJFKIQ-VAI2QUJBYC42A`. Case-insensitive.
 * - `opaque`: anything else of 1–256 printable ASCII characters without whitespace: keys of
 *   another system that an operator registers. Recognition cannot vouch for them; the caller looks
 *   them up and answers "License key format not supported" when unknown (NetProfiler's `abcd`).
 *
 * Foreign keys carry no check value, so their shape is matched exactly (dashes where they belong,
 * only case folded): loosening it would merge opaque keys that differ only in punctuation.
 *
 * Overlap. A 40-symbol string (after dropping spaces and dashes) that starts with the marker and
 * uses only Crockford symbols or aliases is a native key or a BAD native key (BAD_CHECK) — never a
 * netprofiler key — so that typos of native keys are refused here rather than looked up. A
 * foreign NetProfiler key falls into that set only if its first character is `8` and none of the
 * other 39 is `U`, `+` or `/`: for a key uniform over the 38 symbols of `[A-Z0-9+/]` that is
 * (1/38)·(35/38)^39 ≈ 1.1e-3 (1 in ~940); a foreign key that is itself RFC 4648 base32 (only
 * `A-Z2-7`, like `BAFBG-ABIAA-…`) never starts with `8`, so it never falls in. Such a key
 * passes the check only with probability 2^-45, so it cannot be used as a netprofiler key: an
 * import should run `recognizeKey` on every foreign key and report BAD_CHECK as this collision.
 */

export type KeyScheme = 'native' | 'upstream' | 'netprofiler' | 'hp' | 'opaque';
export const KEY_SCHEMES = ['native', 'upstream', 'netprofiler', 'hp', 'opaque'] as const;

/** Schemes whose keys mean something only when registered: unknown, they are no key at all. */
export function onlyWhenRegistered(scheme: KeyScheme): boolean {
  return scheme === 'opaque' || scheme === 'upstream';
}

/** BAD_FORMAT: not a key of any scheme; BAD_CHECK: looks native but the check value fails. */
export type KeyRejection = 'BAD_FORMAT' | 'BAD_CHECK';

export type RecognizedKey =
  | { readonly ok: true; readonly scheme: KeyScheme; readonly normalized: string }
  | { readonly ok: false; readonly reason: KeyRejection };

/** NetProfiler's per-key answer for a key that is malformed, fails its check or is unknown opaque. */
export const KEY_FORMAT_NOT_SUPPORTED = 'License key format not supported';
/** NetProfiler's description for a well-formed key that grants nothing here. */
export const UNRECOGNIZED_LICENSE = 'Unrecognized License';

/** Longest key accepted, after trimming surrounding whitespace. */
export const MAX_KEY_LENGTH = 256;
/**
 * First symbol of every native key. `8`: a Crockford symbol that is no alias and that RFC 4648
 * base32 never uses, so a base32-style foreign key never starts like a native one. It names layout
 * v1: a future layout takes another marker so keys already issued stay valid.
 */
export const NATIVE_KEY_MARKER = '8';
/** Random bytes `generateNativeKey` needs: 150 random bits fill 19 bytes (2 bits unused). */
export const NATIVE_KEY_RANDOM_BYTES = 19;
/** Shortest server secret accepted: a shorter HMAC key would be the weakest link. */
export const MIN_SECRET_BYTES = 16;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SYMBOL_BITS = 5;
const GROUP_LENGTH = 5;
const NATIVE_SYMBOLS = 40;
const RANDOM_SYMBOLS = 30;
const MAC_SYMBOLS = 8;
/** Symbols the MAC covers: the marker and the random part. */
const BODY_SYMBOLS = 1 + RANDOM_SYMBOLS;
const MARKER_VALUE = CROCKFORD.indexOf(NATIVE_KEY_MARKER);

/** Domain separation, so the server secret's HMACs here mean nothing anywhere else. */
const KEY_DERIVATION_TAG = 'entitle/license-key/v1/key\0';
const MAC_TAG = 'entitle/license-key/v1/mac\0';

const SYMBOL_VALUES: ReadonlyMap<string, number> = new Map([
  ...Array.from(CROCKFORD, (char, value): [string, number] => [char, value]),
  ['I', 1],
  ['L', 1],
  ['O', 0],
]);

const NETPROFILER_SHAPE = /^[A-Z0-9+/]{5}(?:-[A-Z0-9+/]{5}){7}$/;
const HP_SHAPE = /^[A-Z2-7]{13}(?:-[A-Z2-7]{13}){3}$/;
const SPACES_AND_DASHES = /[ -]/g;

const BAD_FORMAT: RecognizedKey = { ok: false, reason: 'BAD_FORMAT' };
const BAD_CHECK: RecognizedKey = { ok: false, reason: 'BAD_CHECK' };

/**
 * Tells which scheme `raw` belongs to and returns its normalized form, or why it is no key.
 * Native keys are verified here (check symbol and MAC under `secret`); the others only by shape.
 *
 * @example
 *   recognizeKey('8000g 40r40 m30e2 o9l85 gr38e 1w812 4xcgm y8dq7', secret)
 *   // { ok: true, scheme: 'native', normalized: '8000G-40R40-M30E2-09185-GR38E-1W812-4XCGM-Y8DQ7' }
 *   recognizeKey('abcd', secret)  // { ok: true, scheme: 'opaque', normalized: 'abcd' }
 *   recognizeKey('ab cd', secret) // { ok: false, reason: 'BAD_FORMAT' }
 */
export function recognizeKey(raw: string, secret: Uint8Array): RecognizedKey {
  checkSecret(secret);
  const text = trimAsciiWhitespace(raw);
  // Checked before any case folding: toUpperCase maps some non-ASCII letters onto ASCII ones.
  if (text.length === 0 || text.length > MAX_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(text)) {
    return BAD_FORMAT;
  }
  const native = recognizeNative(text, secret);
  if (native !== undefined) return native;
  if (text.includes(' ')) return BAD_FORMAT;
  const upper = text.toUpperCase();
  if (NETPROFILER_SHAPE.test(upper)) return { ok: true, scheme: 'netprofiler', normalized: upper };
  if (HP_SHAPE.test(upper)) return { ok: true, scheme: 'hp', normalized: upper };
  return { ok: true, scheme: 'opaque', normalized: text };
}

/**
 * Builds the native key for `random` (at least `NATIVE_KEY_RANDOM_BYTES` = 19 bytes; the first 150
 * bits are used, the rest ignored) under `secret`, in normalized form. Deterministic: the caller
 * supplies the randomness (e.g. `crypto.randomBytes(19)`).
 *
 * @example
 *   generateNativeKey(randomBytes(NATIVE_KEY_RANDOM_BYTES), secret)
 *   // with random bytes 0, 1, …, 18 and a secret of 32 bytes 0x01:
 *   // '8000G-40R40-M30E2-09185-GR38E-1W812-4XCGM-Y8DQ7'
 */
export function generateNativeKey(random: Uint8Array, secret: Uint8Array): string {
  checkSecret(secret);
  if (random.length < NATIVE_KEY_RANDOM_BYTES) {
    throw new Error(
      `a native license key needs ${NATIVE_KEY_RANDOM_BYTES} random bytes, got ${random.length}`,
    );
  }
  const body = [MARKER_VALUE, ...bytesToSymbols(random, RANDOM_SYMBOLS)];
  const signed = [...body, ...macSymbols(symbolsToText(body), secret)];
  return groupSymbols(symbolsToText([...signed, gfTimesAlpha(weightedSum(signed))]));
}

/**
 * The key as logs may show it. Grouped keys keep their first and last group; other keys keep
 * their first and last 4 characters when at least 16 long (at most half shown), else nothing.
 * The result always contains `…`, which no key does, so it is never a key itself.
 *
 * @example
 *   redactKey('8000G-40R40-M30E2-09185-GR38E-1W812-4XCGM-Y8DQ7') // '8000G-…-Y8DQ7'
 *   redactKey('abcd')                                            // '…'
 */
export function redactKey(normalized: string): string {
  if (NETPROFILER_SHAPE.test(normalized) || HP_SHAPE.test(normalized)) {
    const groups = normalized.split('-');
    return `${groups[0] ?? ''}-…-${groups[groups.length - 1] ?? ''}`;
  }
  if (normalized.length >= 16) return `${normalized.slice(0, 4)}…${normalized.slice(-4)}`;
  return '…';
}

/**
 * A native key or a bad one when `text` is in native form (40 symbols or aliases once spaces and
 * dashes are dropped, starting with the marker); undefined when it belongs to another scheme.
 */
function recognizeNative(text: string, secret: Uint8Array): RecognizedKey | undefined {
  const compact = text.replace(SPACES_AND_DASHES, '').toUpperCase();
  if (compact.length !== NATIVE_SYMBOLS || !compact.startsWith(NATIVE_KEY_MARKER)) return undefined;
  const symbols = textToSymbols(compact);
  if (symbols === undefined) return undefined;
  // The check symbol first: it is public and cheap, and it alone refuses every simple typo.
  if (weightedSum(symbols) !== 0) return BAD_CHECK;
  const canonical = symbolsToText(symbols);
  const expected = Buffer.from(macSymbols(canonical.slice(0, BODY_SYMBOLS), secret));
  const given = Buffer.from(symbols.slice(BODY_SYMBOLS, BODY_SYMBOLS + MAC_SYMBOLS));
  // Constant time, so response timing cannot guide a forger symbol by symbol.
  const scheme = timingSafeEqual(expected, given) ? 'native' : 'upstream';
  return { ok: true, scheme, normalized: groupSymbols(canonical) };
}

/** The HMAC key of a secret, derived once per secret object (validation runs this per request). */
const derivedKeys = new WeakMap<Uint8Array, Buffer>();
function derivedKey(secret: Uint8Array): Buffer {
  let key = derivedKeys.get(secret);
  if (key === undefined) {
    key = createHash('sha256').update(KEY_DERIVATION_TAG).update(secret).digest();
    derivedKeys.set(secret, key);
  }
  return key;
}

/**
 * The MAC symbols for the canonical text of the marker and random part. The HMAC key is a hash of
 * the secret rather than the secret itself: HMAC pads short keys with zero bytes, so secrets that
 * differ only by trailing zero bytes would otherwise issue the same keys.
 */
function macSymbols(body: string, secret: Uint8Array): number[] {
  const key = derivedKey(secret);
  const mac = createHmac('sha256', key).update(MAC_TAG).update(body, 'ascii').digest();
  return bytesToSymbols(mac, MAC_SYMBOLS);
}

/**
 * Σ symbol_i · α^(n-1-i) over GF(32) = GF(2)[x]/(x^5 + x^2 + 1), by Horner's rule; a valid native
 * key sums to 0. A substitution at i adds e·α^k ≠ 0 (e ≠ 0); swapping adjacent a ≠ b adds
 * (a+b)·α^k·(α+1) ≠ 0 (α ≠ 1). So no single typo of either kind can keep the sum at 0.
 */
function weightedSum(symbols: readonly number[]): number {
  let sum = 0;
  for (const symbol of symbols) sum = gfTimesAlpha(sum) ^ symbol;
  return sum;
}

/** Multiplies a GF(32) element by α = x, reducing by x^5 + x^2 + 1. */
function gfTimesAlpha(value: number): number {
  const shifted = value << 1;
  return (shifted & 0x20) === 0 ? shifted : shifted ^ 0x25;
}

/** The first `count` 5-bit symbols of `bytes`, most significant bit first. */
function bytesToSymbols(bytes: Uint8Array, count: number): number[] {
  const symbols: number[] = [];
  let buffer = 0;
  let bits = 0;
  let index = 0;
  while (symbols.length < count) {
    if (bits < SYMBOL_BITS) {
      buffer = (buffer << 8) | (bytes[index] ?? 0);
      index++;
      bits += 8;
    }
    bits -= SYMBOL_BITS;
    symbols.push((buffer >> bits) & 0x1f);
    buffer &= (1 << bits) - 1;
  }
  return symbols;
}

/** SYMBOL_VALUES by ASCII code (-1: no symbol): validation decodes a key on every call. */
const SYMBOL_BY_CODE = Int8Array.from(
  { length: 128 },
  (_, code) => SYMBOL_VALUES.get(String.fromCharCode(code)) ?? -1,
);

/** Symbol values of upper-case text, aliases included; undefined when a character is no symbol. */
function textToSymbols(text: string): number[] | undefined {
  const symbols: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const value = SYMBOL_BY_CODE[text.charCodeAt(i)] ?? -1;
    if (value < 0) return undefined;
    symbols.push(value);
  }
  return symbols;
}

function symbolsToText(symbols: readonly number[]): string {
  let text = '';
  for (const value of symbols) text += CROCKFORD.charAt(value);
  return text;
}

function groupSymbols(text: string): string {
  const groups: string[] = [];
  for (let start = 0; start < text.length; start += GROUP_LENGTH) {
    groups.push(text.slice(start, start + GROUP_LENGTH));
  }
  return groups.join('-');
}

/** Trims ASCII whitespace with a loop: a regex like /\s+$/ is quadratic on long inner runs. */
function trimAsciiWhitespace(raw: string): string {
  const isSpace = (code: number): boolean => code === 0x20 || (code >= 0x09 && code <= 0x0d);
  let start = 0;
  let end = raw.length;
  while (start < end && isSpace(raw.charCodeAt(start))) start++;
  while (end > start && isSpace(raw.charCodeAt(end - 1))) end--;
  return raw.slice(start, end);
}

function checkSecret(secret: Uint8Array): void {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new Error(
      `the license key secret must be at least ${MIN_SECRET_BYTES} bytes, got ${secret.length}`,
    );
  }
}
