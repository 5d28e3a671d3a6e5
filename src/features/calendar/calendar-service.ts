import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import { type Db, isUniqueViolation, type Queryable } from '../../platform/db/database.js';
import { AppError, type ErrorDetail, formatDetail, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { lazy } from '../../platform/lazy.js';
import { canonicalJson } from '../audit/audit.js';
import type { AuditLog } from '../audit/audit-service.js';
import type { CheckQuery, FeedToken, OverrideRequest, WindowDetail } from './calendar-api.js';
import {
  archiveWindow,
  calendarEnvironments,
  calendarProducts,
  calendarVersion,
  type EnvironmentRow,
  findWindowRow,
  listWindows,
  type ProductRow,
  upsertWindow,
} from './calendar-store.js';
import type { ActiveOverride, ApplicableWindow, CheckResult } from './check.js';
import type { CompiledWindow, WindowCompiler } from './recurrence.js';
import { type Override, overrideProblems, parseInstant } from './schedule.js';
import { feedTokenUser, findOverride, insertOverride, listOverrides, replaceFeedToken, setOverrideStatus } from './schedule-store.js';
import { appliesTo, mayApplyToEnvironment, normalizeWindow, type Window, type WindowInput, type WindowSpec, zoneFor } from './window.js';

// Loaded when first needed (see recurrence()).
const recurrenceModule = lazy(() => import('./recurrence.js'));
const checkModule = lazy(() => import('./check.js'));

/** What the service keeps while the calendar's version stays the same. */
interface CalendarState {
  version: number;
  windows: Window[];
  /** Environments and products by key, as the check needs them (apply moves the version too). */
  environments: Map<string, EnvironmentRow>;
  products: Map<string, ProductRow>;
  /** Windows that may apply in an environment, and the approved overrides (any change moves the version). */
  byEnvironment: Map<string, Window[]>;
  overrides?: Override[];
  /** Every environment and product (with dependencies) by key, as conflict detection reads them. */
  portfolio?: Portfolio;
  /** What a check needs, by environment and product. */
  checks: Map<string, Map<string, CheckScope>>;
}

interface CheckScope {
  windows: ApplicableWindow[];
  overrides: ActiveOverride[];
}

export interface Portfolio {
  environments: ReadonlyMap<string, EnvironmentRow>;
  products: ReadonlyMap<string, ProductRow>;
}

/**
 * Windows (freezes and maintenance windows), the "may I promote now?" check, overrides and feed tokens.
 * Compiled windows are kept across calls until the calendar's version moves.
 */
export class CalendarService {
  private cached: CalendarState | null = null;
  private compiler: WindowCompiler | null = null;

  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog }) {}

  /** The recurrence library loads on first use, not at start-up: most commands never need it. */
  private async recurrence() {
    const mod = await recurrenceModule();
    this.compiler ??= new mod.WindowCompiler();
    return { mod, compiler: this.compiler };
  }

  /** Every window in force, from the cache while the calendar has not changed. */
  async windows(db: Queryable = this.deps.db): Promise<Window[]> {
    return (await this.current(db)).windows;
  }

  private async current(db: Queryable) {
    const version = await calendarVersion(db);
    if (this.cached?.version !== version) {
      const windows = await listWindows(db);
      this.cached = { version, windows, environments: new Map(), products: new Map(), byEnvironment: new Map(), checks: new Map() };
    }
    return this.cached;
  }

  /** Every environment and product by key, from the cache while the calendar has not changed (apply moves it). */
  async portfolio(db: Queryable = this.deps.db): Promise<Portfolio> {
    const state = await this.current(db);
    if (!state.portfolio) {
      const [environments, products] = await Promise.all([calendarEnvironments(db), calendarProducts(db)]);
      state.portfolio = {
        environments: new Map(environments.map((e) => [e.key, e])),
        products: new Map(products.map((p) => [p.key, p])),
      };
    }
    return state.portfolio;
  }

  async compileFn(): Promise<(spec: WindowSpec, zone: string) => CompiledWindow> {
    const { compiler } = await this.recurrence();
    return (spec, zone) => compiler.get(spec, zone);
  }

  async check(q: CheckQuery): Promise<CheckResult> {
    const at = q.at === undefined ? this.deps.clock.now().getTime() : parseInstant(q.at, 'at');
    if (typeof at === 'string') throw new AppError('bad_request', at);
    const db = this.deps.db;
    const state = await this.current(db);
    // Unknown keys are not remembered: only what exists is cached (until the next change of the calendar or apply).
    const env = state.environments.get(q.environment) ?? (await calendarEnvironments(db, q.environment))[0];
    if (env) state.environments.set(env.key, env);
    const product = state.products.get(q.product) ?? (await calendarProducts(db, q.product, { withDependencies: false }))[0];
    if (product) state.products.set(product.key, product);
    if (!env) throw notFound('environment', q.environment);
    if (!product) throw notFound('product', q.product);
    const scope = await this.checkScope(state, env, product);
    const { checkPromotion } = await checkModule();
    return checkPromotion({ windows: scope.windows, overrides: scope.overrides, at, emergency: q.emergency === true });
  }

  /** The compiled windows and approved overrides that apply to a product in an environment, kept per version. */
  private async checkScope(state: CalendarState, env: EnvironmentRow, product: ProductRow): Promise<CheckScope> {
    let byProduct = state.checks.get(env.key);
    if (!byProduct) {
      byProduct = new Map();
      state.checks.set(env.key, byProduct);
    }
    const known = byProduct.get(product.key);
    if (known) return known;
    const subject = { product: product.key, productTags: product.tags, environment: env.key, environmentTags: env.tags };
    let candidates = state.byEnvironment.get(env.key);
    if (!candidates) {
      candidates = state.windows.filter((w) => mayApplyToEnvironment(w, env.key));
      state.byEnvironment.set(env.key, candidates);
    }
    state.overrides ??= await listOverrides(this.deps.db, { status: 'active' });
    const { compiler } = await this.recurrence();
    const scope: CheckScope = {
      windows: candidates
        .filter((w) => appliesTo(w, subject))
        .map((spec) => {
          const zone = zoneFor(spec, env.timezone);
          return { spec, zone, compiled: compiler.get(spec, zone) };
        }),
      overrides: state.overrides
        .filter((o) => o.environment === env.key && (o.product === null || o.product === product.key))
        .map((o) => ({ id: o.id, window: o.window, start: Date.parse(o.start), end: Date.parse(o.end) })),
    };
    byProduct.set(product.key, scope);
    return scope;
  }

  async listWindows(): Promise<Window[]> {
    return listWindows(this.deps.db);
  }

  async showWindow(key: string, count = 5): Promise<WindowDetail> {
    const w = (await this.windows()).find((x) => x.key === key);
    if (!w) throw notFound('window', key);
    const { compiler } = await this.recurrence();
    const compiled = compiler.get(w, w.timezone ?? 'UTC');
    const next: { start: string; end: string }[] = [];
    let t = this.deps.clock.now().getTime();
    const current = compiled.activeAt(t);
    if (current) next.push({ start: new Date(current.start).toISOString(), end: new Date(current.end).toISOString() });
    while (next.length < count) {
      const s = compiled.nextStart(t);
      if (s === null) break;
      const occ = compiled.activeAt(s);
      if (occ && occ.start !== current?.start)
        next.push({ start: new Date(occ.start).toISOString(), end: new Date(occ.end).toISOString() });
      t = s + 1;
    }
    return { ...w, next };
  }

  /** A window made with the CLI or API (railyard.yaml windows are made by `apply`). */
  async createWindow(input: WindowInput, actor: string): Promise<Window> {
    const spec = normalizeWindow(input);
    const { mod } = await this.recurrence();
    const details: ErrorDetail[] = mod.windowProblems(spec).map((p) => ({ path: p.field, message: p.message }));
    const now = this.deps.clock.now().toISOString();
    const created = this.deps.db.transaction().execute(async (trx) => {
      const [envs, products] = await Promise.all([
        calendarEnvironments(trx),
        calendarProducts(trx, undefined, { withDependencies: false }),
      ]);
      const envKeys = new Set(envs.map((e) => e.key));
      const productKeys = new Set(products.map((p) => p.key));
      spec.environments.forEach((e, i) => {
        if (!envKeys.has(e)) details.push({ path: `environments[${i}]`, message: `unknown environment '${e}'` });
      });
      spec.products.forEach((p, i) => {
        if (!productKeys.has(p)) details.push({ path: `products[${i}]`, message: `unknown product '${p}'` });
      });
      if (details.length) throw new AppError('validation_failed', details.map(formatDetail).join('; '), details);
      const existing = await findWindowRow(trx, spec.key);
      if (existing && existing.archived_at === null) throw new AppError('conflict', `window '${spec.key}' already exists`);
      if (existing && existing.source === 'config') {
        throw new AppError('conflict', `window '${spec.key}' was declared in railyard.yaml; declare it there again to restore it`);
      }
      const id = await upsertWindow(trx, spec, canonicalJson(spec), 'api', now);
      await this.deps.audit.record(trx, { actor, action: 'window.created', subjectType: 'window', subjectId: id, after: spec });
      const window = (await listWindows(trx)).find((w) => w.id === id);
      if (!window) throw new AppError('internal', `window ${spec.key} vanished`);
      return window;
    });
    return created.catch((error: unknown) => {
      throw isUniqueViolation(error) ? new AppError('conflict', `window '${spec.key}' already exists`) : error;
    });
  }

  async removeWindow(key: string, actor: string): Promise<{ key: string; archived: boolean }> {
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const row = await findWindowRow(trx, key);
      if (!row || row.archived_at !== null) throw notFound('window', key);
      if (row.source === 'config') {
        throw new AppError('conflict', `window '${key}' is declared in railyard.yaml: remove it there and run railyard apply`);
      }
      const id = await archiveWindow(trx, key, now);
      await this.deps.audit.record(trx, {
        actor,
        action: 'window.archived',
        subjectType: 'window',
        subjectId: id ?? row.id,
        before: { key },
      });
      return { key, archived: true };
    });
  }

  /**
   * Lets promotions through one window, in one environment (for one product or all), for a limited time, with
   * a reason. In a protected environment it waits for someone other than the requester to approve it.
   */
  async requestOverride(r: OverrideRequest, actor: string): Promise<Override> {
    const nowMs = this.deps.clock.now().getTime();
    const start = r.from === undefined ? nowMs : parseInstant(r.from, 'from');
    const end = parseInstant(r.until, 'until');
    const problems = [start, end].filter((v): v is string => typeof v === 'string');
    if (typeof start === 'number' && typeof end === 'number') problems.push(...overrideProblems(start, end, r.reason));
    if (typeof end === 'number' && end <= nowMs) problems.push('until: the override would already have ended');
    if (problems.length)
      throw new AppError(
        'validation_failed',
        problems.join('; '),
        problems.map((message) => ({ message })),
      );
    const now = new Date(nowMs).toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const window = await findWindowRow(trx, r.window);
      if (!window || window.archived_at !== null) throw notFound('window', r.window);
      const [env] = await calendarEnvironments(trx, r.environment);
      if (!env) throw notFound('environment', r.environment);
      const product = r.product === undefined ? undefined : (await calendarProducts(trx, r.product, { withDependencies: false }))[0];
      if (r.product !== undefined && !product) throw notFound('product', r.product);
      const id = newId();
      const status = env.protected ? 'pending' : 'active';
      await insertOverride(trx, {
        id,
        windowId: window.id,
        environmentId: env.id,
        productId: product?.id ?? null,
        start: new Date(start as number).toISOString(),
        end: new Date(end as number).toISOString(),
        reason: r.reason.trim(),
        status,
        actor,
        now,
      });
      const override = await this.mustFindOverride(trx, id);
      await this.deps.audit.record(trx, { actor, action: 'override.requested', subjectType: 'override', subjectId: id, after: override });
      return override;
    });
  }

  async approveOverride(id: string, actor: string): Promise<Override> {
    return this.changeOverride(id, actor, 'active', (o) => {
      if (o.status !== 'pending') throw new AppError('invalid_transition', `override ${id} is ${o.status}, not pending`);
      if (o.requestedBy === actor) {
        throw new AppError('forbidden', `override ${id} was requested by ${actor}: someone else must approve it`);
      }
      if (Date.parse(o.end) <= this.deps.clock.now().getTime()) throw new AppError('invalid_transition', `override ${id} has ended`);
    });
  }

  async revokeOverride(id: string, actor: string, reason?: string): Promise<Override> {
    return this.changeOverride(
      id,
      actor,
      'revoked',
      (o) => {
        if (o.status === 'revoked') throw new AppError('invalid_transition', `override ${id} is already revoked`);
      },
      reason,
    );
  }

  private async changeOverride(
    id: string,
    actor: string,
    status: 'active' | 'revoked',
    allowed: (o: Override) => void,
    reason?: string,
  ): Promise<Override> {
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await this.mustFindOverride(trx, id);
      allowed(before);
      await setOverrideStatus(trx, id, status, actor, now);
      const after = await this.mustFindOverride(trx, id);
      await this.deps.audit.record(trx, {
        actor,
        action: status === 'active' ? 'override.approved' : 'override.revoked',
        subjectType: 'override',
        subjectId: id,
        before: { status: before.status },
        after: { status: after.status, ...(reason ? { reason } : {}) },
      });
      return after;
    });
  }

  private async mustFindOverride(db: Queryable, id: string): Promise<Override> {
    const o = await findOverride(db, id);
    if (!o) throw notFound('override', id);
    return o;
  }

  /** Overrides not yet ended (all of them with `all`). */
  async listOverrides(q: { environment?: string; all?: boolean }): Promise<Override[]> {
    return listOverrides(this.deps.db, {
      environment: q.environment,
      endingAfter: q.all ? undefined : this.deps.clock.now().toISOString(),
    });
  }

  /**
   * A new feed token for the acting user (any earlier one stops working). Only its hash is stored; the token
   * is shown this once.
   */
  async createFeedToken(actor: string): Promise<FeedToken> {
    const token = randomBytes(24).toString('base64url');
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const { id, revoked } = await replaceFeedToken(trx, actor, hashToken(token), now);
      await this.deps.audit.record(trx, {
        actor,
        action: 'feed_token.created',
        subjectType: 'feed_token',
        subjectId: id,
        after: { user: actor, replaced: revoked },
      });
      return { user: actor, token, path: `/calendar.ics?token=${token}`, createdAt: now };
    });
  }

  /** The user a feed token belongs to, or undefined when it is unknown or replaced. */
  async feedUser(token: string): Promise<string | undefined> {
    return feedTokenUser(this.deps.db, hashToken(token));
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
