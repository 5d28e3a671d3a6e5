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

export interface WaitSamples {
  /** Samples taken, and per state what the database's active connections were doing (summed over samples). */
  samples: number;
  busy: Map<string, number>;
}

/**
 * Samples pg_stat_activity for `database` every `everyMs` until stop(): for each connection in a transaction,
 * whether it ran, waited on a lock (and on which statement), waited for its client, or waited for the disk.
 * Costs one small query per sample on a connection of its own.
 */
export async function sampleActivity(admin: string, database: string, everyMs = 50): Promise<{ stop(): Promise<WaitSamples> }> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  const out: WaitSamples = { samples: 0, busy: new Map() };
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const { rows } = await client.query<{ state: string; wait: string | null; query: string }>(
        `select state, wait_event_type || ':' || wait_event as wait, query from pg_stat_activity
          where datname = $1 and backend_type = 'client backend' and state in ('active', 'idle in transaction')`,
        [database],
      );
      out.samples++;
      for (const r of rows) {
        const what =
          r.state === 'idle in transaction'
            ? 'waiting for its client (idle in transaction)'
            : r.wait?.startsWith('Lock:')
              ? `waiting on a lock in: ${r.query.replace(/\s+/g, ' ').slice(0, 60)}`
              : r.wait?.startsWith('IO:')
                ? `waiting for the disk (${r.wait})`
                : r.wait
                  ? `active, ${r.wait}`
                  : 'running';
        out.busy.set(what, (out.busy.get(what) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      await client.end();
      return out;
    },
  };
}

/** The database name in a postgres:// URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** "a 40%, b 30%, …": the share of connection samples each state took. */
export function describeActivity(s: WaitSamples, top = 3): string {
  const total = [...s.busy.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return 'no connection in a transaction when sampled';
  return [...s.busy.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([what, n]) => `${what} ${((100 * n) / total).toFixed(0)}%`)
    .join(', ');
}
