import type { Clock } from '../../platform/clock.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { AuditLog } from '../audit/audit-service.js';
import type { CalendarQuery } from '../calendar/calendar-api.js';
import { combineEvidence, type Evidence } from '../evidence/evidence.js';
import { findPolicy } from '../gates/policy-store.js';
import { formatRef, parseRef, type Release } from '../releases/release.js';
import { findRelease } from '../releases/release-store.js';
import type { ReportSection } from '../reviews/report-service.js';
import {
  assertRiskFields,
  evidenceStates,
  FREEZE_HORIZON_DAYS,
  HISTORY_DAYS,
  type NewRisk,
  type RiskAssessment,
  type RiskFields,
  type RiskInput,
  type RiskItem,
  type RiskReport,
  type RiskStatus,
  type RiskWeights,
  scoreRisk,
  weightsFrom,
} from './risk.js';
import type { RiskClient } from './risk-client.js';
import type { RiskPolicySpec } from './risk-config.js';
import {
  changeCounts,
  currentEvidenceFacts,
  deploymentHistory,
  findRisk,
  insertRisk,
  listRegister,
  type ReleaseRiskRow,
  releaseTimes,
  riskRows,
  updateRisk,
} from './risk-store.js';

const DAY = 86_400_000;

/** The calendar's agenda, for the next freeze; narrow so risk does not depend on the calendar's internals. */
export interface FreezeSource {
  agenda(q: CalendarQuery): Promise<{ items: { start: string; end: string }[] }>;
}

export class RiskService {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog; freezes?: FreezeSource }) {}

  async show(ref: string): Promise<RiskReport> {
    const release = await mustFindRelease(this.deps.db, ref);
    const [[assessment], register] = await Promise.all([this.score(this.deps.db, release.id), listRegister(this.deps.db, release.id)]);
    return { ...(assessment as RiskAssessment), register };
  }

  /** Scores every release that is not cancelled (the portfolio view), in a handful of queries. */
  async scoreAll(): Promise<RiskAssessment[]> {
    return this.score(this.deps.db);
  }

  private async score(db: Queryable, releaseId?: string): Promise<RiskAssessment[]> {
    const now = this.deps.clock.now();
    const rows = await riskRows(db, releaseId);
    const productId = releaseId ? rows[0]?.productId : undefined;
    const [changes, history, shipped, evidence, weights] = await Promise.all([
      changeCounts(db, releaseId),
      deploymentHistory(db, new Date(now.getTime() - HISTORY_DAYS * DAY).toISOString(), productId),
      releaseTimes(db, productId),
      currentEvidenceFacts(db, releaseId),
      this.weights(db),
    ]);
    const freezes = new Map<string, Promise<number | null | string>>();
    const out: RiskAssessment[] = [];
    for (const r of rows) {
      let hoursToFreeze: number | null | string = 'released: no promotion ahead';
      if (r.status !== 'released') {
        if (!freezes.has(r.product)) freezes.set(r.product, this.hoursToFreeze(r.product, now));
        hoursToFreeze = await (freezes.get(r.product) as Promise<number | null | string>);
      }
      const ev = (evidence.get(r.id) ?? []).map((e) => ({ kind: e.kind, facts: JSON.parse(e.facts), createdAt: e.createdAt }) as Evidence);
      const input: RiskInput = {
        changes: changes.get(r.id) ?? { total: 0, breaking: 0, dependency: 0 },
        history: { product: r.product, ...(history.get(r.productId) ?? { total: 0, failed: 0 }) },
        evidence: evidenceStates(combineEvidence(ev)),
        hoursToFreeze,
        daysSinceLastRelease: daysSinceLast(r, shipped.get(r.productId) ?? [], now),
      };
      out.push(scoreRisk(formatRef(r.product, r.version), input, weights));
    }
    return out;
  }

  private async weights(db: Queryable): Promise<RiskWeights> {
    const policy = await findPolicy<RiskPolicySpec>(db, 'risk', 'default');
    return weightsFrom(policy?.weights);
  }

  private async hoursToFreeze(product: string, now: Date): Promise<number | null | string> {
    if (!this.deps.freezes) return 'no calendar to ask for the next freeze';
    try {
      const to = new Date(now.getTime() + FREEZE_HORIZON_DAYS * DAY).toISOString();
      const { items } = await this.deps.freezes.agenda({ from: now.toISOString(), to, kinds: ['freeze'], product });
      const starts = items.filter((i) => Date.parse(i.end) > now.getTime()).map((i) => Date.parse(i.start));
      if (starts.length === 0) return null;
      return Math.max(0, (Math.min(...starts) - now.getTime()) / 3_600_000);
    } catch (error) {
      return `the calendar could not say: ${(error as Error).message}`;
    }
  }

  async add(ref: string, input: NewRisk, actor: string): Promise<RiskItem> {
    assertRiskFields(input);
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (trx) => {
      const release = await mustFindRelease(trx, ref);
      const item: RiskItem = {
        id: newId(now),
        release: release.ref,
        title: input.title.trim(),
        likelihood: input.likelihood,
        impact: input.impact,
        severity: input.likelihood * input.impact,
        owner: input.owner ?? null,
        mitigation: input.mitigation ?? '',
        status: 'open',
        blocker: input.blocker ?? false,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      await insertRisk(trx, release.id, item);
      await this.deps.audit.record(trx, { actor, action: 'risk.added', subjectType: 'risk_entry', subjectId: item.id, after: item });
      return item;
    });
  }

  /** Changes a register entry; `status` closes or reopens it. */
  async update(ref: string, id: string, changes: RiskFields & { status?: RiskStatus }, actor: string): Promise<RiskItem> {
    assertRiskFields(changes);
    if (changes.status !== undefined && changes.status !== 'open' && changes.status !== 'closed') {
      throw new AppError('bad_request', `status: expected open or closed, got '${String(changes.status)}'`);
    }
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const release = await mustFindRelease(trx, ref);
      const found = await findRisk(trx, id);
      if (!found || found.releaseId !== release.id) throw notFound(`risk of ${release.ref}`, id);
      const { releaseId: _, ...before } = found;
      const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Partial<RiskItem>;
      const after: RiskItem = { ...before, ...defined, updatedAt: now };
      after.severity = after.likelihood * after.impact;
      if (defined.title !== undefined) after.title = defined.title.trim();
      await updateRisk(trx, after);
      const action =
        changes.status && changes.status !== before.status
          ? changes.status === 'closed'
            ? 'risk.closed'
            : 'risk.reopened'
          : 'risk.updated';
      await this.deps.audit.record(trx, { actor, action, subjectType: 'risk_entry', subjectId: id, before, after });
      return after;
    });
  }
}

function daysSinceLast(r: ReleaseRiskRow, shipped: readonly string[], now: Date): number | null {
  // The product's last release before this one: shipped before it did, or before now if it has not shipped.
  const until = r.releasedAt ?? now.toISOString();
  let last: string | null = null;
  for (const at of shipped) {
    if (at < until) last = at;
    else break;
  }
  if (last === null) return null;
  return Math.max(0, (Date.parse(until) - Date.parse(last)) / DAY);
}

async function mustFindRelease(db: Queryable, ref: string): Promise<Release> {
  const { product, version } = parseRef(ref);
  const release = await findRelease(db, product, version);
  if (!release) throw notFound('release', ref);
  return release;
}

/** The risk section of the readiness report: the score with its factors, and the register. */
export function riskReportSection(risk: RiskService): ReportSection {
  return {
    add: async (_db, ref) => {
      const { register, ...assessment } = await risk.show(ref);
      return { risk: assessment, risks: register };
    },
  };
}

/** The CLI's risk commands over the local database, acting as `actor`. */
export function localRiskClient(risk: RiskService, actor: string): RiskClient {
  return {
    show: (ref) => risk.show(ref),
    add: (ref, input) => risk.add(ref, input, actor),
    update: (ref, id, changes) => risk.update(ref, id, changes, actor),
  };
}
