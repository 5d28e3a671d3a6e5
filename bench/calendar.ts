import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fixedClock } from '../src/platform/clock.js';
import { startServices } from '../src/platform/container.js';
import { BOOKINGS, ENVIRONMENTS, envKey, NOW, PLANNED, PRODUCTS, productKey, seedCalendar, WINDOWS } from './lib/calendar-workload.js';
import { ensureBuilt } from './lib/cli.js';
import { type Benchmark, log, type Row } from './lib/report.js';
import { removeDatabase, tempDir } from './lib/seed.js';
import { startServer } from './lib/server.js';
import { median, ms, percentile } from './lib/stats.js';
import { random } from './lib/workload.js';

const TARGETS = { conflicts: 200, check: 2, checkHttp: 5, ics: 300 };
const CHECKS = 2000;
const DAY = 86_400_000;

/** Wall-clock time, and this process's CPU time: on a shared machine the gap between them is other people's work. */
async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; cpu: number; value: T }> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await f();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpu: (used.user + used.system) / 1000, value };
}

function checkQueries(n: number): { product: string; environment: string; at: string }[] {
  const rand = random(3);
  return Array.from({ length: n }, () => ({
    product: productKey(Math.floor(rand() * PRODUCTS)),
    environment: envKey(Math.floor(rand() * ENVIRONMENTS)),
    at: new Date(NOW + Math.floor(rand() * 365 * DAY)).toISOString(),
  }));
}

export const calendar: Benchmark = {
  name: 'calendar',
  description: `${PLANNED} planned releases, ${BOOKINGS} bookings, ${WINDOWS} recurring windows over ${ENVIRONMENTS} environments: conflicts < ${TARGETS.conflicts} ms, can-promote < ${TARGETS.check} ms (HTTP p99 < ${TARGETS.checkHttp} ms), a year of ICS < ${TARGETS.ics} ms`,
  async run() {
    ensureBuilt();
    const db = join(tempDir(), `calendar-${process.pid}.db`);
    removeDatabase(db);
    const rows: Row[] = [];
    const row = (name: string, result: string, target = '', pass?: boolean) => {
      rows.push({ benchmark: 'calendar', case: name, result, target, pass });
      log(`  ${name}: ${result}`);
    };
    try {
      const seeding = await timed(async () => {
        const s = await startServices(db, fixedClock(new Date(NOW)));
        try {
          await seedCalendar(s);
        } finally {
          await s.close();
        }
      });
      log(`calendar: seeded ${db} in ${(seeding.ms / 1000).toFixed(1)} s`);

      // A fresh process state: the first call compiles and expands every window.
      const services = await startServices(db, fixedClock(new Date(NOW)));
      try {
        const range = { from: new Date(NOW).toISOString(), to: new Date(NOW + 366 * DAY).toISOString() };
        const cold = await timed(() => services.schedule.conflicts(range));
        const warm: number[] = [];
        const warmCpu: number[] = [];
        for (let i = 0; i < 10; i++) {
          const r = await timed(() => services.schedule.conflicts(range));
          warm.push(r.ms);
          warmCpu.push(r.cpu);
        }
        const byKind = new Map<string, number>();
        for (const c of cold.value) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
        const kinds = [...byKind].map(([k, n]) => `${n} ${k}`).join(', ');
        row('conflicts, first call (compiles and expands the windows)', `${ms(cold.ms)}; ${cold.value.length} conflicts (${kinds})`);
        row(
          'conflicts, full portfolio (rules compiled)',
          `median ${ms(median(warm))}, max ${ms(Math.max(...warm))} (n=${warm.length}; CPU median ${ms(median(warmCpu))})`,
          `median < ${TARGETS.conflicts} ms`,
          median(warm) < TARGETS.conflicts,
        );

        // Random instants over a whole year: the first pass also expands each window's occurrences around them
        // (kept per 32-day span); the second is the steady state of a server answering such questions.
        const queries = checkQueries(CHECKS);
        for (const pass of ['first pass', 'second pass']) {
          const times: number[] = [];
          let blocked = 0;
          for (const q of queries) {
            const r = await timed(() => services.calendar.check(q));
            times.push(r.ms);
            if (!r.value.allowed) blocked++;
          }
          const mean = times.reduce((a, b) => a + b, 0) / times.length;
          const target = pass === 'second pass';
          row(
            `can-promote in-process (CalendarService.check), ${pass}`,
            `mean ${ms(mean)}, p50 ${ms(median(times))}, p99 ${ms(percentile(times, 99))} (n=${CHECKS}, ${blocked} blocked)`,
            target ? `mean < ${TARGETS.check} ms` : '',
            target ? mean < TARGETS.check : undefined,
          );
        }

        const ics: number[] = [];
        const icsCpu: number[] = [];
        let size = 0;
        for (let i = 0; i < 7; i++) {
          const r = await timed(() => services.schedule.ics(range));
          ics.push(r.ms);
          icsCpu.push(r.cpu);
          size = r.value.length;
        }
        row(
          `ICS, a year of all ${ENVIRONMENTS} environments`,
          `first ${ms(ics[0] ?? Number.NaN)}, median ${ms(median(ics))} (CPU median ${ms(median(icsCpu))}; ${(size / 1024 / 1024).toFixed(1)} MiB, ${PLANNED + BOOKINGS}+ events)`,
          `median < ${TARGETS.ics} ms`,
          median(ics) < TARGETS.ics,
        );
      } finally {
        await services.close();
      }

      const server = await startServer(db);
      try {
        const queries = checkQueries(CHECKS);
        const url = (q: { product: string; environment: string; at: string }) =>
          `${server.url}/api/v1/calendar/check?product=${q.product}&environment=${q.environment}&at=${q.at}`;
        for (const pass of ['first pass', 'second pass']) {
          const times: number[] = [];
          for (const q of queries) {
            const r = await timed(async () => {
              const res = await fetch(url(q));
              if (res.status !== 200) throw new Error(`GET ${url(q)} → ${res.status}: ${await res.text()}`);
              return res.arrayBuffer();
            });
            times.push(r.ms);
          }
          const target = pass === 'second pass';
          row(
            `can-promote over HTTP (GET /api/v1/calendar/check, 1 connection), ${pass}`,
            `p50 ${ms(median(times))}, p99 ${ms(percentile(times, 99))}, max ${ms(Math.max(...times))} (n=${CHECKS})`,
            target ? `p99 < ${TARGETS.checkHttp} ms` : '',
            target ? percentile(times, 99) < TARGETS.checkHttp : undefined,
          );
        }
      } finally {
        await server.stop();
      }
    } finally {
      removeDatabase(db);
    }
    return rows;
  },
};
