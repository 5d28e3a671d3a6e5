import autocannon, { type Result } from 'autocannon';
import Database from 'better-sqlite3';
import { ensureBuilt } from './lib/cli.js';
import { type Benchmark, log, type Row } from './lib/report.js';
import { RARE_TRAIN_RELEASES, SEED_PRODUCTS, seededDatabase } from './lib/seed.js';
import { startServer } from './lib/server.js';
import { productKey, RARE_TRAIN } from './lib/workload.js';

const TARGET_P99_MS = 20;
const RELEASES = 100_000;
const CONNECTIONS = 200;
const WARMUP_SECONDS = 3;

/** The id of the release `depth` (0-1) of the way down the newest-first list: a cursor for a deep page. */
function deepCursor(db: string, depth: number): string {
  const sqlite = new Database(db, { readonly: true });
  try {
    const row = sqlite.prepare('select id from releases order by id desc limit 1 offset ?').get(Math.floor(RELEASES * depth)) as
      | { id: string }
      | undefined;
    if (!row) throw new Error(`no release at depth ${depth} in ${db}`);
    return row.id;
  } finally {
    sqlite.close();
  }
}

async function load(url: string, seconds: number, connections = CONNECTIONS): Promise<Result> {
  return autocannon({ url, connections, duration: seconds, timeout: 10 });
}

/** Fails early, with the response, if a case's URL does not return a full page. */
async function checkPage(url: string): Promise<void> {
  const res = await fetch(url);
  const body = (await res.json()) as { items?: unknown[] };
  if (res.status !== 200 || body.items?.length !== 50) {
    throw new Error(`GET ${url} → ${res.status}, ${body.items?.length ?? 0} items: ${JSON.stringify(body).slice(0, 300)}`);
  }
}

export const apiList: Benchmark = {
  name: 'api-list',
  description: `GET /api/v1/releases?limit=50 over ${RELEASES} releases at ${CONNECTIONS} connections: p99 < ${TARGET_P99_MS} ms`,
  async run({ duration }) {
    ensureBuilt();
    const db = await seededDatabase(RELEASES);
    const cursor = deepCursor(db, 0.9);
    const product = productKey(Math.floor(SEED_PRODUCTS / 2));
    const cases = [
      { name: 'first page', path: '/api/v1/releases?limit=50' },
      { name: 'deep page (cursor at 90%)', path: `/api/v1/releases?limit=50&cursor=${cursor}` },
      { name: `one product (${product})`, path: `/api/v1/releases?limit=50&product=${product}` },
    ];
    const server = await startServer(db);
    const rows: Row[] = [];
    try {
      for (const c of cases) await checkPage(server.url + c.path);
      log(`api-list: server on ${server.url}; ${WARMUP_SECONDS} s warm-up, then ${duration} s per case at ${CONNECTIONS} connections`);
      await load(server.url + (cases[0]?.path ?? ''), WARMUP_SECONDS);
      for (const c of cases) {
        await load(server.url + c.path, 1);
        const r = await load(server.url + c.path, duration);
        // autocannon counts timeouts among errors; non-2xx answers are failures too.
        const failures = r.errors + r.non2xx;
        rows.push({
          benchmark: 'api-list',
          case: `${c.name}, ${CONNECTIONS} conns`,
          result:
            `p50 ${r.latency.p50} / p90 ${r.latency.p90} / p99 ${r.latency.p99} / max ${r.latency.max} ms, ` +
            `${Math.round(r.requests.average)} req/s, ${failures} errors${r.timeouts ? ` (${r.timeouts} timeouts)` : ''}`,
          target: `p99 < ${TARGET_P99_MS} ms, 0 errors`,
          pass: r.latency.p99 < TARGET_P99_MS && failures === 0,
        });
        log(`  ${c.name}: ${rows.at(-1)?.result}`);
      }
      // For context: the same first page with a single connection is the time one request takes on its own.
      const single = await load(server.url + (cases[0]?.path ?? ''), Math.min(duration, 5), 1);
      rows.push({
        benchmark: 'api-list',
        case: 'first page, 1 conn (service time)',
        result: `p50 ${single.latency.p50} / p99 ${single.latency.p99} ms, ${Math.round(single.requests.average)} req/s`,
        target: '',
      });
      // A filter on a train few releases ride: without an index that leads from the train to its releases,
      // SQLite walks every release newest-first looking for them.
      const rare = await load(`${server.url}/api/v1/releases?limit=50&train=${RARE_TRAIN}`, Math.min(duration, 5), 1);
      rows.push({
        benchmark: 'api-list',
        case: `rare train (${RARE_TRAIN_RELEASES} releases), 1 conn`,
        result: `p50 ${rare.latency.p50} / p99 ${rare.latency.p99} ms, ${Math.round(rare.requests.average)} req/s`,
        target: '',
      });
    } finally {
      await server.stop();
    }
    return rows;
  },
};
