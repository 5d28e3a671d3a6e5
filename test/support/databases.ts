import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, systemClock } from '../../src/platform/clock.js';
import { type Services, startServices } from '../../src/platform/container.js';

/**
 * The databases every store test runs on: always a fresh SQLite file; PostgreSQL too when
 * RAILYARD_TEST_POSTGRES_URL names a server (CI sets it). Each test gets its own database.
 */
export const DIALECTS: ('sqlite' | 'postgres')[] = process.env.RAILYARD_TEST_POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDb {
  url: string;
  services: Services;
  close(): Promise<void>;
}

export async function freshDatabaseUrl(dialect: 'sqlite' | 'postgres'): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'railyard-test-'));
    return { url: join(dir, 'railyard.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = process.env.RAILYARD_TEST_POSTGRES_URL as string;
  const name = `railyard_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(admin, `create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(admin, `drop database if exists ${name} with (force)`) };
}

/** One statement on the admin connection; the connection is closed even when the statement fails. */
async function adminQuery(admin: string, statement: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function openTestDb(dialect: 'sqlite' | 'postgres', clock: Clock = systemClock): Promise<TestDb> {
  const { url, drop } = await freshDatabaseUrl(dialect);
  // A database whose services never started (or failed to close) is still dropped: no test leaves one behind.
  const services = await startServices(url, clock).catch(async (error: unknown) => {
    await drop();
    throw error;
  });
  return {
    url,
    services,
    close: async () => {
      try {
        await services.close();
      } finally {
        await drop();
      }
    },
  };
}
