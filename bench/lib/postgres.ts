import { randomBytes } from 'node:crypto';

/** The PostgreSQL server the postgres benchmark uses (a superuser URL: it creates and drops its own databases). */
export function benchPostgresUrl(): string | undefined {
  return process.env.RAILYARD_BENCH_POSTGRES_URL || process.env.RAILYARD_TEST_POSTGRES_URL || undefined;
}

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the server at `admin`; drop() removes it (closing whatever is still connected). */
export async function createDatabase(admin: string, prefix: string): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await adminQuery(admin, `create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await adminQuery(admin, `drop database if exists ${name} with (force)`);
    },
  };
}

export async function adminQuery<T = Record<string, unknown>>(admin: string, statement: string): Promise<T[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    return (await client.query(statement)).rows as T[];
  } finally {
    await client.end();
  }
}
