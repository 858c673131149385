import { Kysely, SqliteAdapter, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dialectOf, PortablePostgresDialect } from '../../src/store/dialect.js';

/**
 * The migrations are written once, in SQLite's vocabulary; PostgreSQL compiles them into its own.
 * Compiling needs no connection, so this runs in both projects without touching a database.
 */

// Never connected: only the compilers are used.
const postgres = new Kysely<unknown>({
  dialect: new PortablePostgresDialect({ pool: () => Promise.reject(new Error('not connected')) }),
});
const sqlite = new Kysely<unknown>({
  dialect: new SqliteDialect({ database: () => Promise.reject(new Error('not connected')) }),
});

function table(db: Kysely<unknown>): string {
  return db.schema
    .createTable('t')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('serial', 'integer', (col) => col.notNull().unique())
    .addColumn('quantity', 'real', (col) => col.notNull())
    .addColumn('name', 'text')
    .compile().sql;
}

describe('the portable dialect', () => {
  it('keeps the SQLite DDL of existing databases exactly', () => {
    expect(table(sqlite)).toBe(
      'create table "t" ("id" integer primary key autoincrement, "serial" integer not null unique, "quantity" real not null, "name" text)',
    );
  });

  it('widens integers and reals on PostgreSQL, and makes auto-increment keys bigserial', () => {
    expect(table(postgres)).toBe(
      'create table "t" ("id" bigserial primary key, "serial" bigint not null unique, "quantity" double precision not null, "name" text)',
    );
  });

  it('tells the dialect of a database', () => {
    expect(dialectOf(postgres)).toBe('postgres');
    expect(dialectOf(sqlite)).toBe('sqlite');
    expect(sqlite.getExecutor().adapter).toBeInstanceOf(SqliteAdapter);
  });
});
