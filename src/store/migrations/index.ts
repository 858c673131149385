import type { Migration } from 'kysely';
import * as foundation from './0001_foundation.js';
import * as licenses from './0002_licenses.js';

/** Every migration, in order. Names are permanent: never rename or reorder one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_licenses': licenses,
};
