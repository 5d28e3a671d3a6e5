import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { notFound } from '../../platform/errors.js';
import type { ApprovalStatus } from '../gates/approval.js';
import type { GateResult } from '../gates/gate.js';
import type { GateService } from '../gates/gate-service.js';
import { loadContext } from '../gates/gate-service.js';
import { environmentsWithApprovals, policyKeys } from '../gates/policy-store.js';
import { parseRef } from '../releases/release.js';
import { findRelease, listChanges } from '../releases/release-store.js';
import type { ReadinessReport } from './report.js';
import type { ReviewClient } from './review-client.js';
import type { ReviewService } from './review-service.js';

/** Extra sections other features add to the report (risk), kept behind a narrow interface. */
export interface ReportSection {
  add(db: Db, ref: string): Promise<Partial<ReadinessReport>>;
}

/** Assembles the one-page readiness report for the meeting: scope, notes, gates, risks, approvals and votes. */
export class ReportService {
  constructor(
    private readonly deps: { db: Db; clock: Clock; gates: GateService; reviews: ReviewService; sections: readonly ReportSection[] },
  ) {}

  async report(ref: string, actor: string): Promise<ReadinessReport> {
    const { db, gates, reviews } = this.deps;
    const { product, version } = parseRef(ref);
    const release = await findRelease(db, product, version);
    if (!release) throw notFound('release', ref);
    const [changes, gated, approvalEnvs, reviewList] = await Promise.all([
      listChanges(db, release.id),
      policyKeys(db, 'gate'),
      environmentsWithApprovals(db),
      reviews.listFor(db, release),
    ]);
    const gateResults: GateResult[] = [];
    const approvals: { environment: string; status: ApprovalStatus }[] = [];
    if (release.status !== 'cancelled') {
      for (const env of gated) gateResults.push(await gates.check(release.ref, env, actor));
      for (const env of approvalEnvs) {
        const status = await gates.approvalStatus(db, await loadContext(db, release.ref, env));
        if (status) approvals.push({ environment: env, status });
      }
    }
    const latest = new Map(reviewList.map((r) => [r.kind, r]));
    const extra: Partial<ReadinessReport> = {};
    for (const s of this.deps.sections) Object.assign(extra, await s.add(db, release.ref));
    const byType: Record<string, number> = {};
    for (const c of changes) byType[c.type] = (byType[c.type] ?? 0) + 1;
    return {
      generatedAt: this.deps.clock.now().toISOString(),
      release: {
        ref: release.ref,
        product: release.product,
        version: release.version,
        title: release.title,
        status: release.status,
        targetDate: release.targetDate,
        author: release.author,
        train: release.train,
      },
      notes: release.notes,
      scope: {
        total: changes.length,
        breaking: changes.filter((c) => c.breaking).length,
        afterFreeze: changes.filter((c) => c.afterFreeze).length,
        byType,
        changes: changes.map((c) => ({
          kind: c.kind,
          type: c.type,
          ref: c.ref,
          title: c.title,
          author: c.author,
          breaking: c.breaking,
          afterFreeze: c.afterFreeze,
        })),
      },
      gates: gateResults,
      approvals,
      risk: null,
      risks: [],
      reviews: [...latest.values()],
      ...extra,
    };
  }
}

/** The CLI's reviews over the local database, acting as `actor`. */
export function localReviewClient(reviews: ReviewService, reports: ReportService, actor: string): ReviewClient {
  return {
    open: (input) => reviews.open(input, actor),
    tick: (ref, kind, item, ticked) => reviews.tick(ref, kind, item, ticked, actor),
    vote: (input) => reviews.vote(input, actor),
    decide: (ref, kind, minutes) => reviews.decide(ref, kind, minutes, actor),
    show: (ref, kind) => reviews.show(ref, kind),
    report: (ref) => reports.report(ref, actor),
  };
}
