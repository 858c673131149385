import { describe, expect, it } from 'vitest';
import { maskKeys } from '../../src/http/log.js';

describe('request log', () => {
  it('masks license keys in the query string and keeps everything else', () => {
    const key = '8000G-40R40-M30E2-09185-GR38E-1W812-4XCGM-Y8DQ7';
    const masked = maskKeys(`/v1/licenses/lookup?key=${key}&x=1`);
    expect(masked).toBe('/v1/licenses/lookup?key=8000G-%E2%80%A6-Y8DQ7&x=1');
    expect(masked).not.toContain('40R40');
    expect(
      maskKeys('/sdn/v2.0/licenses?key="CYIBMJJIHJQA6-IRTEQ2QUNBYCA-CSSDJIEIJFKIQ-VAI2QUJBYC42A"'),
    ).not.toContain('IRTEQ2QUNBYCA');
    expect(maskKeys('/v1/accounts?limit=5')).toBe('/v1/accounts?limit=5');
    expect(maskKeys('/healthz')).toBe('/healthz');
  });
});
