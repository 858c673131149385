import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { parseDuration } from '../src/cli/duration.js';

describe('configuration', () => {
  it('defaults to port 8080 and SQLite under ./data', () => {
    const config = loadConfig({}, {});
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.dataDir).toBe(resolve('data'));
    expect(config.databaseUrl).toBe(`sqlite:${resolve('data/entitle.db')}`);
    expect(config.token.secretFile).toBe(resolve('data/token-secret'));
    expect(config.logLevel).toBe('info');
  });

  it('takes environment variables, and flags over them', () => {
    const env = {
      ENTITLE_PORT: '9000',
      ENTITLE_DATA_DIR: '/var/lib/entitle',
      ENTITLE_LOG_LEVEL: 'warn',
    };
    const fromEnv = loadConfig({}, env);
    expect(fromEnv.port).toBe(9000);
    expect(fromEnv.databaseUrl).toBe('sqlite:/var/lib/entitle/entitle.db');
    expect(loadConfig({ port: '9100' }, env).port).toBe(9100);
  });

  it('names the bad setting', () => {
    expect(() => loadConfig({ port: 'eighty' }, {})).toThrow(
      new ConfigError("port must be an integer from 0 to 65535, got 'eighty'"),
    );
    expect(() => loadConfig({ logLevel: 'loud' }, {})).toThrow(/log level must be one of/);
    expect(() => loadConfig({ databaseUrl: 'mysql://x' }, {})).toThrow(
      /must start with sqlite: or postgres/,
    );
    expect(loadConfig({ databaseUrl: 'postgres://u@h/db' }, {}).databaseUrl).toBe(
      'postgres://u@h/db',
    );
    expect(() => loadConfig({ databaseUrl: 'postgres://u:p@h:notaport/db' }, {})).toThrow(
      /not a valid postgres:\/\/ URL: 'postgres:\/\/u:\*\*\*@h:notaport\/db'/,
    );
    expect(() => loadConfig({ databasePoolSize: '0' }, {})).toThrow(/database pool size/);
    expect(() => loadConfig({ tokenJwksUrl: 'ftp://x' }, {})).toThrow(/JWKS URL must be an http/);
  });

  it('runs the jobs in-process unless told not to', () => {
    expect(loadConfig({}, {}).jobs).toBe(true);
    expect(loadConfig({}, { ENTITLE_JOBS: 'false' }).jobs).toBe(false);
    expect(loadConfig({ jobs: 'false' }, { ENTITLE_JOBS: 'true' }).jobs).toBe(false);
    expect(() => loadConfig({}, { ENTITLE_JOBS: 'no' })).toThrow(
      "jobs must be true or false, got 'no'",
    );
  });

  it('parses token lifetimes', () => {
    expect(parseDuration('3600')).toBe(3600);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('12h')).toBe(43200);
    expect(parseDuration('30d')).toBe(2592000);
    expect(parseDuration('1w')).toBeNull();
    expect(parseDuration('-5')).toBeNull();
  });
});
