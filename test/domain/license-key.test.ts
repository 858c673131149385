import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateNativeKey,
  KEY_FORMAT_NOT_SUPPORTED,
  MAX_KEY_LENGTH,
  NATIVE_KEY_RANDOM_BYTES,
  onlyWhenRegistered,
  recognizeKey,
  redactKey,
  UNRECOGNIZED_LICENSE,
  type RecognizedKey,
} from '../../src/domain/license-key.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Every character a substitution typo could bring in, aliases (I, L, O) and the non-symbol U included. */
const TYPO_CHARACTERS = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
const ALIASES: Readonly<Record<string, string>> = { I: '1', L: '1', O: '0' };
const NATIVE_SHAPE = /^8[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{5}){7}$/;

const SECRET = new Uint8Array(32).fill(1);
/** Layout v1 under SECRET with random bytes 0, 1, …, 18: pins the format of keys already issued. */
const GOLDEN_RANDOM = Uint8Array.from({ length: NATIVE_KEY_RANDOM_BYTES }, (_, i) => i);
const GOLDEN_KEY = '8000G-40R40-M30E2-09185-GR38E-1W812-4XCGM-Y8DQ7';

const NETPROFILER_EXAMPLES = [
  'BAFBG-ABIAA-AAAAA-AAAAA-BRBK6-IAAAA-PU3NC-AK2J6',
  'SSIF1-VUDHF-7QGZJ-YUHYW-YYA5J-EK9WS-V4/W4-CC3D6',
  'MMZDK-ZS86U-AVVIP-U82CV-56SXK-AIXT0-VLAPI-7B574',
];
const HP_EXAMPLE = 'CYIBMJJIHJQA6-IRTEQ2QUNBYCA-CSSDJIEIJFKIQ-VAI2QUJBYC42A';

const arbSecret = fc.uint8Array({ minLength: 16, maxLength: 64 });
const arbRandom = fc.uint8Array({
  minLength: NATIVE_KEY_RANDOM_BYTES,
  maxLength: NATIVE_KEY_RANDOM_BYTES,
});
const arbNative = fc
  .tuple(arbRandom, arbSecret)
  .map(([random, secret]) => ({ key: generateNativeKey(random, secret), secret }));

const native = (normalized: string): RecognizedKey => ({ ok: true, scheme: 'native', normalized });
const netprofiler = (normalized: string): RecognizedKey => ({
  ok: true,
  scheme: 'netprofiler',
  normalized,
});
const upstream = (normalized: string): RecognizedKey => ({
  ok: true,
  scheme: 'upstream',
  normalized,
});
const BAD_CHECK: RecognizedKey = { ok: false, reason: 'BAD_CHECK' };
const BAD_FORMAT: RecognizedKey = { ok: false, reason: 'BAD_FORMAT' };

/** The 40 symbols of a grouped key. */
function symbolsOf(key: string): string[] {
  return Array.from(key.replaceAll('-', ''));
}

/** Symbols in canonical groups of 5. */
function grouped(symbols: readonly string[]): string {
  return (symbols.join('').match(/.{1,5}/g) ?? []).join('-');
}

/**
 * An independent statement of the check symbol: Σ v_i·α^(39-i) = 0 in GF(2)[x]/(x^5 + x^2 + 1).
 * Returns the sum, so a key is consistent when it is 0.
 */
function gfWeightedSum(symbols: readonly string[]): number {
  let sum = 0;
  for (const symbol of symbols) {
    const doubled = sum << 1;
    sum = (doubled & 0x20 ? doubled ^ 0x25 : doubled) ^ CROCKFORD.indexOf(symbol);
  }
  return sum;
}

/** What recognizing a one-symbol typo of a native key must give: it can never be that key. */
function expectedForTypo(typo: readonly string[]): RecognizedKey {
  // Without the marker, or with a U (no Crockford symbol), the key has NetProfiler's shape.
  return typo[0] !== '8' || typo.includes('U') ? netprofiler(grouped(typo)) : BAD_CHECK;
}

describe('native keys', () => {
  it('generates keys that are recognized as native with themselves as normalized form', () => {
    fc.assert(
      fc.property(arbNative, ({ key, secret }) => {
        expect(key).toMatch(NATIVE_SHAPE);
        expect(gfWeightedSum(symbolsOf(key))).toBe(0);
        expect(recognizeKey(key, secret)).toEqual(native(key));
      }),
      { numRuns: 500 },
    );
  });

  it('pins layout v1 with a known answer', () => {
    expect(generateNativeKey(GOLDEN_RANDOM, SECRET)).toBe(GOLDEN_KEY);
    expect(recognizeKey(GOLDEN_KEY, SECRET)).toEqual(native(GOLDEN_KEY));
  });

  it('reads lower case, Crockford aliases, spaces and dashes anywhere back to the same key', () => {
    const arbTyped = arbNative.chain(({ key, secret }) =>
      fc
        .tuple(
          fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
          fc.array(fc.nat(2), { minLength: 40, maxLength: 40 }),
          fc.array(fc.constantFrom('', '', '-', ' ', '--', ' - '), {
            minLength: 41,
            maxLength: 41,
          }),
        )
        .map(([lower, alias, separators]) => {
          const typed = symbolsOf(key).map((symbol, i) => {
            const pick = alias[i] ?? 0;
            let char = symbol;
            if (symbol === '1' && pick > 0) char = pick === 1 ? 'I' : 'L';
            if (symbol === '0' && pick > 0) char = 'O';
            return (separators[i] ?? '') + (lower[i] === true ? char.toLowerCase() : char);
          });
          return { key, secret, typed: typed.join('') + (separators[40] ?? '') };
        }),
    );
    fc.assert(
      fc.property(arbTyped, ({ key, secret, typed }) => {
        expect(recognizeKey(typed, secret)).toEqual(native(key));
      }),
      { numRuns: 500 },
    );
  });

  it('reads the aliases of the known key', () => {
    const typed = ' 80o0g 4Or4o m30e2 o9l85 gr38e iw812 4xcgm y8dq7\n';
    expect(recognizeKey(typed, SECRET)).toEqual(native(GOLDEN_KEY));
    expect(recognizeKey(GOLDEN_KEY.replaceAll('-', ''), SECRET)).toEqual(native(GOLDEN_KEY));
  });

  it('refuses every single-character substitution: BAD_CHECK, NetProfiler-shaped once the marker or a U is typed', () => {
    fc.assert(
      fc.property(arbNative, ({ key, secret }) => {
        const symbols = symbolsOf(key);
        const mismatches: string[] = [];
        symbols.forEach((original, position) => {
          for (const replacement of TYPO_CHARACTERS) {
            // An alias of the same symbol is the same key, not a typo.
            if ((ALIASES[replacement] ?? replacement) === original) continue;
            const typo = symbols.with(position, replacement);
            const result = recognizeKey(grouped(typo), secret);
            if (JSON.stringify(result) !== JSON.stringify(expectedForTypo(typo))) {
              mismatches.push(`${grouped(typo)}: ${JSON.stringify(result)}`);
            }
          }
        });
        expect(mismatches).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every transposition of two adjacent different symbols, across group dashes too', () => {
    fc.assert(
      fc.property(arbNative, ({ key, secret }) => {
        const symbols = symbolsOf(key);
        const mismatches: string[] = [];
        for (let i = 0; i + 1 < symbols.length; i++) {
          const [a, b] = [symbols[i] ?? '', symbols[i + 1] ?? ''];
          if (a === b) continue;
          const typo = symbols.with(i, b).with(i + 1, a);
          const result = recognizeKey(grouped(typo), secret);
          if (JSON.stringify(result) !== JSON.stringify(expectedForTypo(typo))) {
            mismatches.push(`${grouped(typo)}: ${JSON.stringify(result)}`);
          }
        }
        expect(mismatches).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("reads a key under any other secret as another server's (upstream): a key only once registered", () => {
    fc.assert(
      fc.property(arbNative, arbSecret, ({ key, secret }, other) => {
        fc.pre(Buffer.compare(Buffer.from(secret), Buffer.from(other)) !== 0);
        expect(recognizeKey(key, other)).toEqual(upstream(key));
        expect(onlyWhenRegistered('upstream')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('tells apart secrets that differ only by trailing zero bytes (HMAC would pad them alike)', () => {
    const secret = new Uint8Array(16).fill(7);
    const padded = Uint8Array.from([...secret, 0]);
    const key = generateNativeKey(GOLDEN_RANDOM, secret);
    expect(recognizeKey(key, secret)).toEqual(native(key));
    expect(recognizeKey(key, padded)).toEqual(upstream(key));
  });

  it('never takes a forgery whose check symbol is right but whose MAC is guessed for a key of ours', () => {
    const arbForgery = fc
      .array(fc.constantFrom(...Array.from(CROCKFORD)), { minLength: 38, maxLength: 38 })
      .map((body) => {
        const symbols = ['8', ...body];
        // Choose the last symbol so that the weighted sum is 0, as a forger reading this code would.
        const check = Array.from(CROCKFORD).find((c) => gfWeightedSum([...symbols, c]) === 0) ?? '';
        return grouped([...symbols, check]);
      });
    fc.assert(
      fc.property(arbForgery, arbSecret, (forgery, secret) => {
        expect(forgery).toMatch(NATIVE_SHAPE);
        // Only a registered upstream key of that text could make it a key (looked up, not trusted).
        expect(recognizeKey(forgery, secret)).toEqual(upstream(forgery));
      }),
      { numRuns: 500 },
    );
  });

  it('treats a NetProfiler-shaped key with the marker and only Crockford symbols as a bad native key', () => {
    // The documented overlap: this looks like a foreign key but is refused without a lookup.
    expect(recognizeKey('8AFBG-ABIAA-AAAAA-AAAAA-BRBK6-IAAAA-PV3NC-AK2J6', SECRET)).toEqual(
      BAD_CHECK,
    );
    // A U is no Crockford symbol: the same key with one is a NetProfiler key.
    expect(recognizeKey('8AFBG-ABIAA-AAAAA-AAAAA-BRBK6-IAAAA-PU3NC-AK2J6', SECRET)).toEqual(
      netprofiler('8AFBG-ABIAA-AAAAA-AAAAA-BRBK6-IAAAA-PU3NC-AK2J6'),
    );
    // A base32-style foreign key (A-Z2-7) never starts with the marker: never taken for native.
    expect(recognizeKey('EAFBG-ABIAA-AAAAA-AAAAA-BRBK6-IAAAA-PV3NC-AK2J6', SECRET)).toEqual(
      netprofiler('EAFBG-ABIAA-AAAAA-AAAAA-BRBK6-IAAAA-PV3NC-AK2J6'),
    );
  });

  it('is no native key with a symbol missing or added', () => {
    const short = GOLDEN_KEY.slice(0, -1);
    expect(recognizeKey(short, SECRET)).toEqual({ ok: true, scheme: 'opaque', normalized: short });
    const long = `${GOLDEN_KEY}0`;
    expect(recognizeKey(long, SECRET)).toEqual({ ok: true, scheme: 'opaque', normalized: long });
  });

  it('needs 19 random bytes and uses only their first 150 bits', () => {
    expect(() => generateNativeKey(new Uint8Array(18), SECRET)).toThrow(/19 random bytes, got 18/);
    const withExtra = Uint8Array.from([...GOLDEN_RANDOM, 0xff, 0xff]);
    expect(generateNativeKey(withExtra, SECRET)).toBe(GOLDEN_KEY);
    const lastTwoBits = GOLDEN_RANDOM.with(18, (GOLDEN_RANDOM[18] ?? 0) ^ 0b11);
    expect(generateNativeKey(lastTwoBits, SECRET)).toBe(GOLDEN_KEY);
    const thirdLastBit = GOLDEN_RANDOM.with(18, (GOLDEN_RANDOM[18] ?? 0) ^ 0b100);
    expect(generateNativeKey(thirdLastBit, SECRET)).not.toBe(GOLDEN_KEY);
  });

  it('refuses a server secret shorter than 16 bytes', () => {
    expect(() => generateNativeKey(GOLDEN_RANDOM, new Uint8Array(15))).toThrow(/at least 16/);
    expect(() => recognizeKey('abcd', new Uint8Array(0))).toThrow(/at least 16/);
  });
});

describe('foreign keys', () => {
  it.each(NETPROFILER_EXAMPLES)('recognizes NetProfiler key %s, in either case', (key) => {
    expect(recognizeKey(key, SECRET)).toEqual(netprofiler(key));
    expect(recognizeKey(key.toLowerCase(), SECRET)).toEqual(netprofiler(key));
  });

  it('recognizes any NetProfiler-shaped key that is not in native form as netprofiler', () => {
    const arbShaped = fc
      .array(
        fc.constantFrom(
          ...Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
        ),
        {
          minLength: 40,
          maxLength: 40,
        },
      )
      .map(grouped);
    fc.assert(
      fc.property(arbShaped, (key) => {
        const upper = key.toUpperCase();
        const nativeForm =
          upper.startsWith('8') &&
          Array.from(upper.replaceAll('-', '')).every((c) => /[0-9A-TV-Z]/.test(c));
        const result = recognizeKey(key, SECRET);
        if (!nativeForm) expect(result).toEqual(netprofiler(upper));
        // Native-shaped: refused by its check symbol, or (1 in 32) read as another server's key.
        else if (result.ok) expect(result.scheme).toBe('upstream');
        else expect(result).toEqual(BAD_CHECK);
      }),
      { numRuns: 500 },
    );
  });

  it('recognizes the HP VAN SDN key, in either case', () => {
    const hp: RecognizedKey = { ok: true, scheme: 'hp', normalized: HP_EXAMPLE };
    expect(recognizeKey(HP_EXAMPLE, SECRET)).toEqual(hp);
    expect(recognizeKey(HP_EXAMPLE.toLowerCase(), SECRET)).toEqual(hp);
  });

  it.each(['1', '8'])('is no HP key with a %s (not RFC 4648 base32) in it', (digit) => {
    const key = `${digit}${HP_EXAMPLE.slice(1)}`;
    expect(key).toHaveLength(52 + 3);
    expect(recognizeKey(key, SECRET)).toEqual({ ok: true, scheme: 'opaque', normalized: key });
  });

  it('keeps foreign shapes exact: a dashless HP key is opaque', () => {
    const dashless = HP_EXAMPLE.replaceAll('-', '');
    expect(recognizeKey(dashless, SECRET)).toEqual({
      ok: true,
      scheme: 'opaque',
      normalized: dashless,
    });
  });

  it('takes other printable keys as opaque, trimmed and with case kept', () => {
    expect(recognizeKey('abcd', SECRET)).toEqual({
      ok: true,
      scheme: 'opaque',
      normalized: 'abcd',
    });
    expect(recognizeKey(' \tAbCd-9!\n', SECRET)).toEqual({
      ok: true,
      scheme: 'opaque',
      normalized: 'AbCd-9!',
    });
    // NetProfiler's delete example: a truncated key, unknown here, so the caller's lookup fails.
    const truncated = 'SSIF1-VUDHF-7QGZJ-YUHYW-YYA5J-EK9WS-V4/W4-CC3D';
    expect(recognizeKey(truncated, SECRET)).toEqual({
      ok: true,
      scheme: 'opaque',
      normalized: truncated,
    });
    const longest = 'k'.repeat(MAX_KEY_LENGTH);
    expect(recognizeKey(longest, SECRET)).toEqual({
      ok: true,
      scheme: 'opaque',
      normalized: longest,
    });
  });

  it.each([
    ['empty', ''],
    ['blank', '  '],
    ['whitespace only', '\t\r\n'],
    ['300 characters', 'x'.repeat(300)],
    ['257 characters', 'x'.repeat(MAX_KEY_LENGTH + 1)],
    ['an inner word', 'abcd efgh'],
    ['an inner tab', 'abcd\tefgh'],
    ['a control character', 'abcd\u0000'],
    ['non-ASCII', 'clé'],
    ['a no-break space', '\u00a0abcd'],
    // 'ı'.toUpperCase() is 'I', an alias: the ASCII check must come before case folding.
    ['a dotless i in a native key', GOLDEN_KEY.replace('1', 'ı')],
    ['a long s in a NetProfiler key', 'ſSIF1-VUDHF-7QGZJ-YUHYW-YYA5J-EK9WS-V4/W4-CC3D6'],
  ])('refuses %s as BAD_FORMAT', (_name, raw) => {
    expect(recognizeKey(raw, SECRET)).toEqual(BAD_FORMAT);
  });
});

describe('any input', () => {
  it('never throws, and a recognized key is recognized again as itself', () => {
    const arbInput = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({
        unit: fc.constantFrom(...Array.from('EAIU01-+/ ')),
        minLength: 35,
        maxLength: 60,
      }),
      arbNative.map(({ key }) => key),
    );
    fc.assert(
      fc.property(arbInput, (raw) => {
        const first = recognizeKey(raw, SECRET);
        if (!first.ok) return;
        expect(first.normalized).toMatch(/^[\x21-\x7e]{1,256}$/);
        expect(recognizeKey(first.normalized, SECRET)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });
});

describe('redactKey', () => {
  it('keeps only the first and last group of a native key', () => {
    fc.assert(
      fc.property(arbNative, ({ key }) => {
        const groups = key.split('-');
        const [first, last] = [groups[0] ?? '', groups[7] ?? ''];
        const redacted = redactKey(key);
        expect(redacted).toBe(`${first}-…-${last}`);
        for (const middle of groups.slice(1, 7)) {
          if (middle !== first && middle !== last) expect(redacted).not.toContain(middle);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never returns a key, nor the key it is given, whatever it is given', () => {
    const arbInput = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }),
    );
    fc.assert(
      fc.property(arbInput, (raw) => {
        const redacted = redactKey(raw);
        expect(redacted).toContain('…');
        expect(recognizeKey(redacted, SECRET)).toEqual(BAD_FORMAT);
        const recognized = recognizeKey(raw, SECRET);
        if (recognized.ok) expect(redactKey(recognized.normalized)).not.toBe(recognized.normalized);
      }),
      { numRuns: 300 },
    );
  });

  it('masks foreign and opaque keys, short ones entirely', () => {
    expect(redactKey(GOLDEN_KEY)).toBe('8000G-…-Y8DQ7');
    expect(redactKey(NETPROFILER_EXAMPLES[2] ?? '')).toBe('MMZDK-…-7B574');
    expect(redactKey(HP_EXAMPLE)).toBe('CYIBMJJIHJQA6-…-VAI2QUJBYC42A');
    expect(redactKey('abcd')).toBe('…');
    expect(redactKey('fifteen-chars-x')).toBe('…');
    expect(redactKey('opaque-key-0123456789')).toBe('opaq…6789');
  });
});

describe('messages', () => {
  it('uses NetProfiler’s wording', () => {
    expect(KEY_FORMAT_NOT_SUPPORTED).toBe('License key format not supported');
    expect(UNRECOGNIZED_LICENSE).toBe('Unrecognized License');
  });
});
