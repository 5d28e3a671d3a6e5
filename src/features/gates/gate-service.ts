import semver from 'semver';
import type { Clock } from '../../platform/clock.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { latestDeployments } from '../deployments/deployment-store.js';
import { listTracks } from '../environments/environment-store.js';
import type { Evidence } from '../evidence/evidence.js';
import { listEvidence } from '../evidence/evidence-store.js';
import { listProducts } from '../products/product-store.js';
import type { Change } from '../releases/change.js';
import { parseRef, type Release } from '../releases/release.js';
import { findRelease, listChanges } from '../releases/release-store.js';
import { type ApprovalStatus, assessApprovals, scopeDigest } from './approval.js';
import type { GateFacts, GateResult, WindowCheck } from './gate.js';
import type { ApprovalRule, GateSpec } from './gate-config.js';
import { firstArrivals, latestReviews, listApprovals, openRisks } from './gate-store.js';
import { findEnvironmentSpec, findPolicy } from './policy-store.js';

export interface ReleaseContext {
  release: Release;
  changes: Change[];
  environment: { id: string; key: string; approvals: ApprovalRule | null };
}

/** Evaluates an environment's gate for a release and explains every check. */
export class GateService {
  /** `windows` is the calendar: when present, the `window` built-in asks it whether promotion is allowed now. */
  constructor(private readonly deps: { db: Db; clock: Clock; windows?: WindowCheck }) {}

  async check(ref: string, environment: string, promoter: string): Promise<GateResult> {
    const { db } = this.deps;
    const ctx = await loadContext(db, ref, environment);
    const gate = await findPolicy<GateSpec>(db, 'gate', environment);
    const facts = await this.facts(db, ctx, promoter);
    // The CEL engine loads only when a gate is checked, keeping it out of every other command's start-up.
    const [{ evaluateGate }, { compile }] = await Promise.all([import('./gate.js'), import('./cel.js')]);
    return evaluateGate(ctx.release.ref, environment, gate?.checks ?? [], facts, compile);
  }

  async facts(db: Queryable, ctx: ReleaseContext, promoter: string): Promise<GateFacts> {
    const { release, changes, environment } = ctx;
    const now = this.deps.clock.now();
    const [evidence, arrivals, risks, reviews, products, tracks, deployed] = await Promise.all([
      listEvidence(db, release.id),
      firstArrivals(db, release.id),
      openRisks(db, release.id),
      latestReviews(db, release.id),
      listProducts(db),
      listTracks(db),
      latestDeployments(db, true),
    ]);
    const product = products.find((p) => p.key === release.product);
    const track = tracks.find((t) => t.key === product?.track);
    const at = track ? track.environments.indexOf(environment.key) : -1;
    const soak: Record<string, number | null> = {};
    for (const [env, iso] of arrivals) soak[env] = (now.getTime() - Date.parse(iso)) / 3_600_000;

    const unsatisfied: string[] = [];
    const checked: string[] = [];
    for (const dep of product?.dependsOn ?? []) {
      const there = deployed.find((d) => d.product === dep.product && d.environment === environment.key);
      checked.push(`${dep.product} ${dep.range}${there ? ` (${there.version} in ${environment.key})` : ''}`);
      if (!there) unsatisfied.push(`${dep.product} ${dep.range}: not in ${environment.key}`);
      else if (!semver.satisfies(there.version, dep.range, { includePrerelease: true })) {
        unsatisfied.push(`${dep.product} ${dep.range}: ${environment.key} runs ${there.version}`);
      }
    }
    const { combineEvidence } = await import('../evidence/evidence.js');
    const windowFact = await this.windowFact(release.product, environment.key, now);
    const approvals = await this.approvalStatus(db, ctx, promoter);
    return {
      evidence: combineEvidence(evidence as Evidence[]),
      release: {
        ref: release.ref,
        product: release.product,
        version: release.version,
        status: release.status,
        author: release.author,
        changes: changes.map((c) => ({ kind: c.kind, type: c.type, ref: c.ref, title: c.title, author: c.author, breaking: c.breaking })),
      },
      approvals,
      soak,
      previousEnvironment: track && at > 0 ? (track.environments[at - 1] ?? null) : null,
      window: windowFact,
      dependencies: { satisfied: unsatisfied.length === 0, unsatisfied, checked },
      risks: {
        open: risks.length,
        open_blockers: risks.filter((r) => r.blocker).length,
        blockers: risks.filter((r) => r.blocker).map((r) => r.title),
      },
      reviews,
      unknown: {
        ...(windowFact ? {} : { window: 'no calendar is available to this server: window.open cannot be known' }),
        ...(environment.approvals
          ? {}
          : { approvals: `environment ${environment.key} declares no approval rule (environments[].approvals)` }),
      },
    };
  }

  private async windowFact(product: string, environment: string, now: Date): Promise<{ open: boolean; reason: string } | null> {
    if (!this.deps.windows) return null;
    const r = await this.deps.windows.check({ product, environment, at: now.toISOString() });
    const why = r.reasons.map((x) => x.message).join('; ');
    return r.allowed ? { open: true, reason: why || `no window closes ${environment} now` } : { open: false, reason: why };
  }

  async approvalStatus(db: Queryable, ctx: ReleaseContext, promoter?: string): Promise<ApprovalStatus | null> {
    const rule = ctx.environment.approvals;
    if (!rule) return null;
    const approvals = await listApprovals(db, ctx.release.id, ctx.environment.id);
    return assessApprovals(rule, ctx.environment.key, ctx.release.ref, approvals, {
      digest: scopeDigest(ctx.release.version, ctx.changes),
      people: { author: ctx.release.author, committers: committersOf(ctx.changes), promoter },
      now: this.deps.clock.now(),
    });
  }
}

export function committersOf(changes: readonly Change[]): string[] {
  return [...new Set(changes.map((c) => c.author).filter((a): a is string => a !== null))];
}

export async function loadContext(db: Queryable, ref: string, environment: string): Promise<ReleaseContext> {
  const { product, version } = parseRef(ref);
  const release = await findRelease(db, product, version);
  if (!release) throw notFound('release', ref);
  const env = await findEnvironmentSpec(db, environment);
  if (!env) throw notFound('environment', environment);
  if (release.status === 'cancelled') throw new AppError('conflict', `release ${release.ref} is cancelled`);
  const changes = await listChanges(db, release.id);
  return {
    release,
    changes,
    environment: { id: env.id, key: environment, approvals: (env.spec.approvals as ApprovalRule | undefined) ?? null },
  };
}
