import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, actorOf, errorResponses, Nullable } from '../../platform/http/app.js';
import { VOTES } from './review.js';
import { DEFAULT_REVIEW_KIND } from './review-service.js';

const Str = Type.String();

export const ReviewBody = Type.Object({
  id: Str,
  release: Str,
  kind: Str,
  status: Type.Enum(['open', 'decided']),
  rule: Type.Object({
    template: Str,
    name: Str,
    rule: Type.Enum(['unanimous', 'majority']),
    roles: Type.Array(Str),
    quorum: Type.Integer(),
  }),
  checklist: Type.Array(Type.Object({ item: Str, ticked: Type.Boolean(), by: Nullable(Str), at: Nullable(Str) })),
  votes: Type.Array(
    Type.Object({
      voter: Str,
      vote: Type.Enum([...VOTES]),
      role: Nullable(Str),
      comment: Str,
      at: Str,
      counted: Type.Boolean(),
    }),
  ),
  decision: Nullable(Type.Enum(['go', 'no-go'])),
  minutes: Str,
  openedBy: Str,
  openedAt: Str,
  decidedAt: Nullable(Str),
  outcome: Type.Object({
    decision: Type.Enum(['go', 'no-go', 'pending']),
    explanation: Str,
    go: Type.Integer(),
    noGo: Type.Integer(),
    abstain: Type.Integer(),
    missingRoles: Type.Array(Str),
    unticked: Type.Array(Str),
  }),
});

const Ref = Type.Object({ ref: Type.String({ description: 'PRODUCT@VERSION' }) });
const RefKind = Type.Object({ ref: Type.String({ description: 'PRODUCT@VERSION' }), kind: Type.String({ description: 'e.g. go-no-go' }) });
const Strict = { additionalProperties: false } as const;

const Any = Type.Unknown();
export const ReportBody = Type.Object({
  generatedAt: Str,
  release: Any,
  notes: Str,
  scope: Any,
  gates: Type.Array(Any),
  approvals: Type.Array(Any),
  risk: Any,
  risks: Type.Array(Any),
  reviews: Type.Array(ReviewBody),
});

export function reviewRoutes(app: App, { reviews, reports }: Services): void {
  const tags = ['reviews'];
  app.get(
    '/releases/:ref/reviews',
    {
      config: { permission: 'releases:read' },
      schema: { tags, params: Ref, response: { 200: Type.Object({ items: Type.Array(ReviewBody) }), ...errorResponses } },
    },
    async (req) => ({ items: await reviews.list(req.params.ref) }),
  );

  app.post(
    '/releases/:ref/reviews',
    {
      config: { permission: 'reviews:write' },
      schema: {
        tags,
        description: 'Open a review (its checklist and decision rule come from the template in railyard.yaml).',
        params: Ref,
        body: Type.Object(
          {
            kind: Type.Optional(Type.String({ minLength: 1, description: `default ${DEFAULT_REVIEW_KIND}` })),
            template: Type.Optional(Type.String({ minLength: 1, description: 'template key (default: the kind)' })),
          },
          Strict,
        ),
        response: { 200: ReviewBody, ...errorResponses },
      },
    },
    async (req) =>
      reviews.open({ release: req.params.ref, kind: req.body.kind ?? DEFAULT_REVIEW_KIND, template: req.body.template }, actorOf(req)),
  );

  app.get(
    '/releases/:ref/reviews/:kind',
    {
      config: { permission: 'releases:read' },
      schema: { tags, description: 'The newest review of a kind.', params: RefKind, response: { 200: ReviewBody, ...errorResponses } },
    },
    async (req) => reviews.show(req.params.ref, req.params.kind),
  );

  app.post(
    '/releases/:ref/reviews/:kind/checklist',
    {
      config: { permission: 'reviews:write' },
      schema: {
        tags,
        description: 'Tick (or untick) a checklist item: its number, text, or a unique prefix.',
        params: RefKind,
        body: Type.Object({ item: Type.String({ minLength: 1 }), ticked: Type.Optional(Type.Boolean()) }, Strict),
        response: { 200: ReviewBody, ...errorResponses },
      },
    },
    async (req) => reviews.tick(req.params.ref, req.params.kind, req.body.item, req.body.ticked ?? true, actorOf(req)),
  );

  app.post(
    '/releases/:ref/reviews/:kind/votes',
    {
      config: { permission: 'reviews:write' },
      schema: {
        tags,
        description: "Vote as the caller; voting again replaces one's vote (audited).",
        params: RefKind,
        body: Type.Object(
          { vote: Type.Enum([...VOTES]), role: Type.Optional(Type.String({ minLength: 1 })), comment: Type.Optional(Type.String()) },
          Strict,
        ),
        response: { 200: ReviewBody, ...errorResponses },
      },
    },
    async (req) => reviews.vote({ release: req.params.ref, kind: req.params.kind, ...req.body }, actorOf(req)),
  );

  app.post(
    '/releases/:ref/reviews/:kind/decision',
    {
      config: { permission: 'reviews:write' },
      schema: {
        tags,
        description: 'Record what the decision rule says now, with minutes; 409 while it cannot decide yet.',
        params: RefKind,
        body: Type.Object({ minutes: Type.Optional(Type.String()) }, Strict),
        response: { 200: ReviewBody, ...errorResponses },
      },
    },
    async (req) => reviews.decide(req.params.ref, req.params.kind, req.body.minutes ?? '', actorOf(req)),
  );

  app.get(
    '/releases/:ref/report',
    {
      config: { permission: 'releases:read' },
      schema: {
        tags,
        description: 'The readiness report: scope, notes, gate results, risk, approvals and reviews. The caller is the promoter.',
        params: Ref,
        response: { 200: ReportBody, ...errorResponses },
      },
    },
    async (req) => reports.report(req.params.ref, actorOf(req)),
  );
}
