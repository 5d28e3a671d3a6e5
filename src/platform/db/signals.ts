import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Expression, sql } from 'kysely';
import type { Client } from 'pg';
import { AppError } from '../errors.js';
import type { Queryable } from './database.js';

/** What a committed transaction tells those who wait for it. */
export interface Signal {
  /** Steps or queued runs may have become claimable (or will at a later time): workers look again. */
  work?: boolean;
  /** Runs that changed (their state, steps or output). */
  runs?: readonly string[];
  /** Anything may have changed: notifications may have been missed (the listening connection was down). */
  all?: boolean;
}

/**
 * How a commit reaches workers and watchers. In one process, an event after the commit. On PostgreSQL, also a
 * NOTIFY sent inside the transaction (so it is delivered only if it commits) to every process that listens.
 * SQLite has no way to tell another process: there, waiters poll for other processes' changes.
 */
export interface Signals {
  /**
   * How often a waiter looks anyway when signals from other processes arrive (PostgreSQL): a safety net for a
   * notification missed. Undefined where they do not arrive (SQLite): the waiter keeps its own short poll.
   */
  readonly safetyPollMs: number | undefined;
  /** Inside a transaction: tells other processes when (and only if) it commits. Nothing on SQLite. */
  publish(trx: Queryable, signal: Signal): Promise<void>;
  /**
   * What publish sends, as expressions for a statement the transaction runs anyway to evaluate (a round trip
   * fewer): the `pg_notify` calls on PostgreSQL, none on SQLite.
   */
  notifications(signal: Signal): Expression<unknown>[];
  /** After a commit: tells this process's listeners. */
  emit(signal: Signal): void;
  /** Signals of this process and (PostgreSQL) of others; returns the unsubscribe function. */
  on(listener: (signal: Signal) => void): () => void;
  close(): Promise<void>;
}

/** Signals within one process: SQLite's (and what every implementation does for its own process). */
export class LocalSignals implements Signals {
  readonly safetyPollMs: number | undefined = undefined;
  protected readonly events = new EventEmitter();

  constructor() {
    this.events.setMaxListeners(0);
  }

  async publish(_trx: Queryable, _signal: Signal): Promise<void> {}

  notifications(_signal: Signal): Expression<unknown>[] {
    return [];
  }

  emit(signal: Signal): void {
    this.events.emit('signal', signal);
  }

  on(listener: (signal: Signal) => void): () => void {
    this.events.on('signal', listener);
    return () => this.events.off('signal', listener);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }
}

const CHANNEL = 'railyard_signals';
/** PostgreSQL refuses a payload of 8000 bytes or more; run ids are split over several notifications below that. */
const MAX_PAYLOAD = 7_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/** The default safety poll on PostgreSQL, and the variable that changes it. */
const DEFAULT_SAFETY_POLL_MS = 5_000;
export const SAFETY_POLL_ENV = 'RAILYARD_SAFETY_POLL';

/** RAILYARD_SAFETY_POLL (`5s`, `500ms`, `1m`), or the default; a value that is not a duration stops the start. */
export function safetyPollFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[SAFETY_POLL_ENV]?.trim();
  if (!text) return DEFAULT_SAFETY_POLL_MS;
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  const ms = m ? Number(m[1]) * ({ ms: 1, s: 1_000, m: 60_000 } as const)[m[2] as 'ms' | 's' | 'm'] : Number.NaN;
  if (!(ms >= 50 && ms <= 3_600_000)) {
    throw new AppError('bad_request', `${SAFETY_POLL_ENV}: '${text}' is not a duration from 50ms to 1h: write e.g. 5s or 500ms`);
  }
  return ms;
}

/**
 * LISTEN/NOTIFY on PostgreSQL. The listening connection is a client of its own (a pooled one would be handed
 * to other queries), opened when the first listener subscribes — a CLI command that only writes never opens
 * it. When it drops (PostgreSQL restarted, the backend terminated), it reconnects with backoff, listens
 * again, and then tells its listeners that anything may have changed: work may have arrived meanwhile.
 */
export class PgSignals extends LocalSignals {
  override readonly safetyPollMs: number;
  /** Tells this process's own notifications (already emitted after their commits) from other processes'. */
  private readonly origin = randomBytes(6).toString('hex');
  private client: Client | undefined;
  private loop: Promise<void> | undefined;
  private closed = false;
  private wakeRetry: (() => void) | undefined;
  private readonly log: (line: string) => void;

  constructor(
    private readonly newClient: () => Client,
    options: { safetyPollMs: number; log?: (line: string) => void },
  ) {
    super();
    this.safetyPollMs = options.safetyPollMs;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  override async publish(trx: Queryable, signal: Signal): Promise<void> {
    const notify = this.notifications(signal);
    if (notify.length > 0) await sql`select ${sql.join(notify)}`.execute(trx);
  }

  override notifications(signal: Signal): Expression<unknown>[] {
    return encode(this.origin, signal).map((p) => sql`pg_notify(${CHANNEL}, ${p})`);
  }

  override on(listener: (signal: Signal) => void): () => void {
    const off = super.on(listener);
    if (!this.loop && !this.closed) this.loop = this.listen();
    return off;
  }

  private async listen(): Promise<void> {
    let failures = 0;
    let lost = false;
    while (!this.closed) {
      const client = this.newClient();
      client.on('error', () => client.end().catch(() => {}));
      const ended = new Promise<void>((resolve) => client.once('end', resolve));
      try {
        await client.connect();
        client.on('notification', (n) => n.channel === CHANNEL && this.receive(n.payload ?? ''));
        await client.query(`listen ${CHANNEL}`);
      } catch (error) {
        await client.end().catch(() => {});
        if (this.closed) return;
        if (failures === 0) this.log(`signals: cannot listen for changes (${(error as Error).message}); retrying`);
        failures++;
        await this.pause(Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (failures - 1)));
        continue;
      }
      if (this.closed) {
        await client.end().catch(() => {});
        return;
      }
      if (lost) this.log('signals: listening for changes again');
      failures = 0;
      this.client = client;
      // Work may have committed while nobody listened (before the first LISTEN, or while disconnected).
      this.emit({ work: true, all: true });
      await ended;
      this.client = undefined;
      if (this.closed) return;
      lost = true;
      this.log('signals: lost the connection listening for changes; reconnecting');
      await this.pause(RECONNECT_MIN_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      this.wakeRetry = done;
      const self = this;
      function done() {
        clearTimeout(t);
        self.wakeRetry = undefined;
        resolve();
      }
    });
  }

  private receive(payload: string): void {
    const signal = decode(payload);
    if (signal && signal.origin !== this.origin) this.emit(signal.signal);
  }

  override async close(): Promise<void> {
    this.closed = true;
    this.wakeRetry?.();
    await this.client?.end().catch(() => {});
    await this.loop;
    await super.close();
  }
}

/** `origin|w|id,id,…`: as few notifications as the run ids fit in (none when there is nothing to say). */
function encode(origin: string, signal: Signal): string[] {
  const work = signal.work ? 'w' : '';
  const runs = [...new Set(signal.runs ?? [])];
  if (!work && runs.length === 0) return [];
  const out: string[] = [];
  let ids: string[] = [];
  let size = 0;
  for (const id of runs) {
    if (size + id.length + 1 > MAX_PAYLOAD && ids.length > 0) {
      out.push(`${origin}|${work}|${ids.join(',')}`);
      ids = [];
      size = 0;
    }
    ids.push(id);
    size += id.length + 1;
  }
  out.push(`${origin}|${work}|${ids.join(',')}`);
  return out;
}

function decode(payload: string): { origin: string; signal: Signal } | undefined {
  const [origin, work, ids] = payload.split('|');
  if (origin === undefined || work === undefined || ids === undefined) return undefined;
  return { origin, signal: { work: work === 'w', runs: ids ? ids.split(',') : [] } };
}
