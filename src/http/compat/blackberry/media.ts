import { LICENSING_MEDIA_TYPE } from './schemas.js';

/**
 * The media type to answer with, from `Accept`: the licensing type for that type itself,
 * `application/*`, `*\/*` or no header; `application/json` when only that is asked for; null
 * (406) when nothing acceptable is asked for with q > 0. On equal q the licensing type wins.
 */
export function negotiate(accept: string | undefined): string | null {
  if (accept === undefined || accept.trim() === '') return LICENSING_MEDIA_TYPE;
  let best: { type: string; q: number } | null = null;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (!(weight > 0)) continue;
    const type =
      range === LICENSING_MEDIA_TYPE || range === 'application/*' || range === '*/*'
        ? LICENSING_MEDIA_TYPE
        : range === 'application/json'
          ? 'application/json'
          : null;
    if (type === null) continue;
    if (best === null || weight > best.q || (weight === best.q && type === LICENSING_MEDIA_TYPE))
      best = { type, q: weight };
  }
  return best?.type ?? null;
}
