import type { Clock } from '../../platform/clock.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { AuditLog } from '../audit/audit-service.js';
import type { ReviewTemplateSpec } from '../gates/gate-config.js';
import { findPolicy } from '../gates/policy-store.js';
import { parseRef, type Release } from '../releases/release.js';
import { findRelease } from '../releases/release-store.js';
import {
  decide,
  defaultTemplate,
  findItem,
  isCounted,
  isVote,
  minutesOf,
  type OpenReview,
  type Review,
  ruleOf,
  VOTES,
  type VoteInput,
} from './review.js';
import {
  insertReview,
  latestReview,
  listReviews,
  listVotes,
  type ReviewRow,
  recordDecision,
  updateChecklist,
  upsertVote,
} from './review-store.js';

export const DEFAULT_REVIEW_KIND = 'go-no-go';

/** Readiness, milestone and go/no-go reviews: checklist, votes, and the decision with minutes. */
export class ReviewService {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog }) {}

  async open(input: OpenReview, actor: string): Promise<Review> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (trx) => {
      const release = await mustFindRelease(trx, input.release);
      if (release.status === 'cancelled') throw new AppError('conflict', `release ${release.ref} is cancelled`);
      const current = await latestReview(trx, release.id, input.kind);
      if (current?.status === 'open') {
        throw new AppError(
          'conflict',
          `${release.ref} already has an open ${input.kind} review (opened by ${current.openedBy} at ${current.openedAt})`,
        );
      }
      const template = await this.template(trx, input.kind, input.template);
      const row: ReviewRow = {
        id: newId(now),
        releaseId: release.id,
        kind: input.kind,
        status: 'open',
        rule: ruleOf(template),
        checklist: template.checklist.map((item) => ({ item, ticked: false, by: null, at: null })),
        decision: null,
        minutes: '',
        openedBy: actor,
        openedAt: now.toISOString(),
        decidedAt: null,
      };
      await insertReview(trx, row);
      await this.deps.audit.record(trx, {
        actor,
        action: 'review.opened',
        subjectType: 'review',
        subjectId: row.id,
        after: { release: release.ref, kind: row.kind, rule: row.rule, checklist: template.checklist, supersedes: current?.id ?? null },
      });
      return toReview(release, row, []);
    });
  }

  private async template(db: Queryable, kind: string, key: string | undefined): Promise<ReviewTemplateSpec> {
    const found = await findPolicy<ReviewTemplateSpec>(db, 'review', key ?? kind);
    if (found) {
      if ((found.kind ?? found.key) !== kind) {
        throw new AppError('bad_request', `review template '${found.key}' is for ${found.kind} reviews, not ${kind}`);
      }
      return { ...defaultTemplate(kind), ...found };
    }
    if (key) throw notFound('review template', key);
    return defaultTemplate(kind);
  }

  async tick(ref: string, kind: string, item: string, ticked: boolean, actor: string): Promise<Review> {
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const { release, review } = await this.mustFindOpen(trx, ref, kind);
      const at = findItem(review.checklist, item);
      const before = review.checklist[at];
      const checklist = review.checklist.map((c, i) =>
        i === at ? { item: c.item, ticked, by: ticked ? actor : null, at: ticked ? now : null } : c,
      );
      await updateChecklist(trx, review.id, checklist);
      await this.deps.audit.record(trx, {
        actor,
        action: ticked ? 'review.ticked' : 'review.unticked',
        subjectType: 'review',
        subjectId: review.id,
        before,
        after: checklist[at],
      });
      return this.load(trx, release, { ...review, checklist });
    });
  }

  async vote(input: VoteInput, actor: string): Promise<Review> {
    if (!isVote(input.vote)) throw new AppError('bad_request', `vote: expected one of ${VOTES.join('|')}, got '${input.vote}'`);
    const vote = input.vote;
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const { release, review } = await this.mustFindOpen(trx, input.release, input.kind ?? DEFAULT_REVIEW_KIND);
      const role = input.role ?? null;
      if (role !== null && review.rule.roles.length && !review.rule.roles.includes(role)) {
        throw new AppError('bad_request', `role '${role}' is not one the ${review.kind} review asks for (${review.rule.roles.join(', ')})`);
      }
      const earlier = (await listVotes(trx, [review.id])).get(review.id)?.find((v) => v.voter === actor);
      const after = { voter: actor, vote, role, comment: input.comment ?? '', at: now };
      await upsertVote(trx, review.id, after);
      await this.deps.audit.record(trx, {
        actor,
        action: earlier ? 'review.vote_replaced' : 'review.voted',
        subjectType: 'review',
        subjectId: review.id,
        before: earlier,
        after: { ...after, release: release.ref, kind: review.kind },
      });
      return this.load(trx, release, review);
    });
  }

  /** Records what the rule decides now, with minutes; refused while the rule cannot decide yet. */
  async decide(ref: string, kind: string, notes: string, actor: string): Promise<Review> {
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const { release, review } = await this.mustFindOpen(trx, ref, kind);
      const current = await this.load(trx, release, review);
      const outcome = current.outcome;
      if (outcome.decision === 'pending') {
        throw new AppError('conflict', `the ${kind} review of ${release.ref} cannot decide yet: ${outcome.explanation}`);
      }
      const minutes = minutesOf(current, outcome, actor, notes, now);
      if ((await recordDecision(trx, review.id, outcome.decision, minutes, now)) !== 1) {
        throw new AppError('conflict', `the ${kind} review of ${release.ref} was decided meanwhile`);
      }
      await this.deps.audit.record(trx, {
        actor,
        action: 'review.decided',
        subjectType: 'review',
        subjectId: review.id,
        before: { status: 'open' },
        after: { release: release.ref, kind, decision: outcome.decision, explanation: outcome.explanation },
      });
      return { ...current, status: 'decided', decision: outcome.decision, minutes, decidedAt: now };
    });
  }

  async show(ref: string, kind: string): Promise<Review> {
    const release = await mustFindRelease(this.deps.db, ref);
    const review = await latestReview(this.deps.db, release.id, kind);
    if (!review) throw noReview(release.ref, kind);
    return this.load(this.deps.db, release, review);
  }

  /** Every review of the release, oldest first (a later one of a kind supersedes the earlier). */
  async list(ref: string): Promise<Review[]> {
    const release = await mustFindRelease(this.deps.db, ref);
    return this.listFor(this.deps.db, release);
  }

  async listFor(db: Queryable, release: Release): Promise<Review[]> {
    const rows = await listReviews(db, release.id);
    const votes = await listVotes(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => toReview(release, r, votes.get(r.id) ?? []));
  }

  private async load(db: Queryable, release: Release, row: ReviewRow): Promise<Review> {
    const votes = await listVotes(db, [row.id]);
    return toReview(release, row, votes.get(row.id) ?? []);
  }

  private async mustFindOpen(db: Queryable, ref: string, kind: string): Promise<{ release: Release; review: ReviewRow }> {
    const release = await mustFindRelease(db, ref);
    const review = await latestReview(db, release.id, kind);
    if (!review) throw noReview(release.ref, kind);
    if (review.status !== 'open') {
      throw new AppError(
        'conflict',
        `the ${kind} review of ${release.ref} was decided ${review.decision} at ${review.decidedAt}; open a new one to revisit it`,
      );
    }
    return { release, review };
  }
}

function noReview(ref: string, kind: string): AppError {
  return new AppError('not_found', `no ${kind} review for ${ref} (railyard review open ${ref} --kind ${kind})`);
}

async function mustFindRelease(db: Queryable, ref: string): Promise<Release> {
  const { product, version } = parseRef(ref);
  const release = await findRelease(db, product, version);
  if (!release) throw notFound('release', ref);
  return release;
}

function toReview(release: Release, row: ReviewRow, votes: Omit<Review['votes'][number], 'counted'>[]): Review {
  const counted = votes.map((v) => ({ ...v, counted: isCounted(row.rule, v.role) }));
  return {
    id: row.id,
    release: release.ref,
    kind: row.kind,
    status: row.status,
    rule: row.rule,
    checklist: row.checklist,
    votes: counted,
    decision: row.decision,
    minutes: row.minutes,
    openedBy: row.openedBy,
    openedAt: row.openedAt,
    decidedAt: row.decidedAt,
    outcome: decide(row.rule, counted, row.checklist),
  };
}
