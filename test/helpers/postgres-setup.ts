import type { TestProject } from 'vitest/node';
import { openPostgresStore } from '../../src/store/database.js';
import {
  adminQuery,
  startPostgresCluster,
  TEMPLATE_DATABASE,
  type PostgresCluster,
} from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The `postgres` database of the run's cluster, as its superuser. */
    postgresAdminUrl: string;
  }
}

/**
 * Global setup of the `postgres` test project: ONE cluster for the run, and a template database
 * with every migration applied, which each harness copies into a database of its own
 * (`create database … template`, far faster than migrating).
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const cluster: PostgresCluster = await startPostgresCluster();
  try {
    await adminQuery(cluster.adminUrl, [`create database ${TEMPLATE_DATABASE}`]);
    const store = openPostgresStore({ url: cluster.url(TEMPLATE_DATABASE), poolSize: 1 });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
  } catch (error) {
    cluster.stop();
    throw error;
  }
  project.provide('postgresAdminUrl', cluster.adminUrl);
  return () => {
    cluster.stop();
  };
}
