import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table types, one interface per table. Timestamps are ISO-8601 strings in UTC with milliseconds,
 * so that they sort and compare as text. Booleans are 0/1 integers (SQLite has no boolean type).
 */
export interface Database {
  accounts: AccountsTable;
  products: ProductsTable;
  product_features: ProductFeaturesTable;
  product_metrics: ProductMetricsTable;
  events: EventsTable;
  tokens: TokensTable;
}

export interface AccountsTable {
  id: string;
  name: string;
  org_id: string | null;
  /** JSON: AccountSettings. */
  settings: string;
  created_at: string;
  updated_at: string;
}

export interface ProductsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  group_name: string | null;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface ProductFeaturesTable {
  product_id: number;
  feature_id: string;
  name: string;
  description: string;
  position: number;
}

export interface ProductMetricsTable {
  product_id: number;
  metric_id: number;
  name: string;
  unit: string;
}

export interface EventsTable {
  id: Generated<number>;
  at: string;
  type: string;
  actor: string;
  actor_role: string;
  account_id: string | null;
  resource_type: string;
  resource_id: string;
  /** JSON: { before, after } of the change, or null where nothing is worth recording. */
  summary: ColumnType<string | null, string | null, never>;
  request_id: string | null;
}

export interface TokensTable {
  id: string;
  subject: string;
  role: string;
  /** JSON: '*' or a list of account ids. */
  accounts: string;
  typ: string;
  instance_id: string | null;
  /** SHA-256 of the token: the token itself is never stored. */
  token_hash: string;
  issued_at: string;
  expires_at: string;
  created_by: string;
}

export type AccountRow = Selectable<AccountsTable>;
export type NewAccountRow = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type ProductRow = Selectable<ProductsTable>;
export type NewProductRow = Insertable<ProductsTable>;
export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type NewTokenRow = Insertable<TokensTable>;
