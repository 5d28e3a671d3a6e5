import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { AppError } from '../../platform/errors.js';
import { type App, actorOf, errorResponses, Nullable } from '../../platform/http/app.js';
import { AGENDA_KINDS } from './agenda.js';
import { CONFLICT_KINDS } from './conflicts.js';
import { BOOKING_STATUSES, OVERRIDE_STATUSES } from './schedule.js';
import { SEVERITIES, WINDOW_KINDS } from './window.js';
import { WindowSchema } from './window-schema.js';

const Str = Type.String();
const Keys = Type.Array(Type.String());

/** `{"allowed", "reasons": [{"window", "message"}], "nextOpen"}`: the answer of `railyard can-promote --json`. */
const CheckBody = Type.Object({
  allowed: Type.Boolean(),
  reasons: Type.Array(Type.Object({ window: Str, message: Str })),
  nextOpen: Nullable(Type.String({ description: 'The next instant the promotion would be allowed (ISO-8601), or null.' })),
});

const WindowBody = Type.Object({
  id: Str,
  key: Str,
  name: Str,
  kind: Type.Enum([...WINDOW_KINDS]),
  severity: Type.Enum([...SEVERITIES]),
  environments: Keys,
  products: Keys,
  tags: Keys,
  timezone: Nullable(Str),
  start: Nullable(Str),
  end: Nullable(Str),
  rrule: Nullable(Str),
  duration: Nullable(Str),
  exdates: Keys,
  reason: Str,
  source: Type.Enum(['config', 'api']),
  sequence: Type.Integer(),
  createdAt: Str,
  updatedAt: Str,
});

const Span = Type.Object({ start: Str, end: Str });

const OverrideBody = Type.Object({
  id: Str,
  window: Str,
  environment: Str,
  product: Nullable(Str),
  start: Str,
  end: Str,
  reason: Str,
  status: Type.Enum([...OVERRIDE_STATUSES]),
  requestedBy: Str,
  approvedBy: Nullable(Str),
  approvedAt: Nullable(Str),
  revokedBy: Nullable(Str),
  revokedAt: Nullable(Str),
  sequence: Type.Integer(),
  createdAt: Str,
  updatedAt: Str,
});

const SlotFields = {
  id: Str,
  release: Str,
  product: Str,
  version: Str,
  train: Nullable(Str),
  environment: Str,
  start: Str,
  end: Str,
  sequence: Type.Integer(),
  createdAt: Str,
  updatedAt: Str,
};
export const PlanBody = Type.Object({ ...SlotFields, createdBy: Str });
export const BookingBody = Type.Object({
  ...SlotFields,
  note: Str,
  forced: Type.Boolean(),
  forceReason: Nullable(Str),
  status: Type.Enum([...BOOKING_STATUSES]),
  createdBy: Str,
  cancelledBy: Nullable(Str),
  cancelledAt: Nullable(Str),
});

const Party = Type.Object({
  type: Type.Enum(['plan', 'booking', 'window', 'product']),
  key: Str,
  id: Nullable(Str),
  start: Nullable(Str),
  end: Nullable(Str),
});
export const ConflictBody = Type.Object({
  kind: Type.Enum([...CONFLICT_KINDS]),
  environment: Str,
  a: Party,
  b: Party,
  from: Str,
  to: Str,
  message: Str,
  suggestion: Nullable(Span),
});

const AgendaItemBody = Type.Object({
  kind: Type.Enum([...AGENDA_KINDS]),
  id: Str,
  title: Str,
  start: Str,
  end: Str,
  environments: Keys,
  product: Nullable(Str),
  release: Nullable(Str),
  window: Nullable(Str),
  status: Nullable(Str),
});

export const RangeQuery = Type.Object({
  from: Type.Optional(Type.String({ description: 'YYYY-MM-DD or ISO-8601 instant' })),
  to: Type.Optional(Type.String({ description: 'YYYY-MM-DD (inclusive) or ISO-8601 instant' })),
  environment: Type.Optional(Str),
  product: Type.Optional(Str),
  kinds: Type.Optional(Type.String({ description: `comma-separated: ${AGENDA_KINDS.join(', ')}` })),
});

const kindsOf = (q: { kinds?: string }) => (q.kinds ? q.kinds.split(',').filter(Boolean) : undefined);
export const IdParams = Type.Object({ id: Str });
export const read = { permission: 'calendar:read' as const };
export const write = { permission: 'calendar:write' as const };

export function calendarRoutes(app: App, { calendar, schedule }: Services): void {
  app.get(
    '/calendar/check',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        description: 'May PRODUCT be promoted into ENVIRONMENT at AT (default now)? Deny wins over allow.',
        querystring: Type.Object({
          product: Type.String({ minLength: 1 }),
          environment: Type.String({ minLength: 1 }),
          at: Type.Optional(Type.String({ description: 'ISO-8601 instant' })),
          emergency: Type.Optional(Type.Boolean()),
        }),
        response: { 200: CheckBody, ...errorResponses },
      },
    },
    async (req) => calendar.check(req.query),
  );

  app.get(
    '/calendar/agenda',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        querystring: RangeQuery,
        response: { 200: Type.Object({ from: Str, to: Str, items: Type.Array(AgendaItemBody) }), ...errorResponses },
      },
    },
    async (req) => schedule.agenda({ ...req.query, kinds: kindsOf(req.query) }),
  );

  app.get(
    '/calendar/ics',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        description: 'The calendar as iCalendar text in JSON (for the CLI); calendar apps subscribe to /calendar.ics.',
        querystring: RangeQuery,
        response: { 200: Type.Object({ ics: Str }), ...errorResponses },
      },
    },
    async (req) => ({ ics: await schedule.ics({ ...req.query, kinds: kindsOf(req.query) }) }),
  );

  app.get(
    '/calendar/conflicts',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        querystring: RangeQuery,
        response: { 200: Type.Object({ items: Type.Array(ConflictBody) }), ...errorResponses },
      },
    },
    async (req) => ({ items: await schedule.conflicts({ ...req.query, kinds: undefined }) }),
  );

  app.get(
    '/calendar/propose',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        querystring: Type.Object({
          product: Type.Optional(Str),
          train: Type.Optional(Str),
          environment: Type.Optional(Str),
          count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          from: Type.Optional(Str),
        }),
        response: {
          200: Type.Object({
            subject: Type.Enum(['product', 'train']),
            key: Str,
            environment: Str,
            cadence: Str,
            items: Type.Array(Span),
            skipped: Type.Array(Type.Object({ start: Str, end: Str, reason: Str })),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => schedule.propose(req.query),
  );

  app.get(
    '/calendar/windows',
    { config: read, schema: { tags: ['calendar'], response: { 200: Type.Object({ items: Type.Array(WindowBody) }) } } },
    async () => ({ items: await calendar.listWindows() }),
  );

  app.get(
    '/calendar/windows/:key',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        params: Type.Object({ key: Str }),
        response: { 200: Type.Intersect([WindowBody, Type.Object({ next: Type.Array(Span) })]), ...errorResponses },
      },
    },
    async (req) => calendar.showWindow(req.params.key),
  );

  app.post(
    '/calendar/windows',
    { config: write, schema: { tags: ['calendar'], body: WindowSchema, response: { 201: WindowBody, ...errorResponses } } },
    async (req, reply) => reply.status(201).send(await calendar.createWindow(req.body, actorOf(req))),
  );

  app.delete(
    '/calendar/windows/:key',
    {
      config: write,
      schema: {
        tags: ['calendar'],
        params: Type.Object({ key: Str }),
        response: { 200: Type.Object({ key: Str, archived: Type.Boolean() }), ...errorResponses },
      },
    },
    async (req) => calendar.removeWindow(req.params.key, actorOf(req)),
  );

  app.get(
    '/calendar/overrides',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        querystring: Type.Object({ environment: Type.Optional(Str), all: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Object({ items: Type.Array(OverrideBody) }), ...errorResponses },
      },
    },
    async (req) => ({ items: await calendar.listOverrides(req.query) }),
  );

  app.post(
    '/calendar/overrides',
    {
      config: { permission: 'calendar:override' },
      schema: {
        tags: ['calendar'],
        description: 'Let promotions through a window for a while, with a reason (protected environments: approval by someone else).',
        body: Type.Object(
          {
            window: Type.String({ minLength: 1 }),
            environment: Type.String({ minLength: 1 }),
            product: Type.Optional(Type.String({ minLength: 1 })),
            from: Type.Optional(Str),
            until: Str,
            reason: Type.String({ minLength: 1 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: OverrideBody, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await calendar.requestOverride(req.body, actorOf(req))),
  );

  app.post(
    '/calendar/overrides/:id/approve',
    {
      config: { permission: 'calendar:override' },
      schema: { tags: ['calendar'], params: IdParams, response: { 200: OverrideBody, ...errorResponses } },
    },
    async (req) => calendar.approveOverride(req.params.id, actorOf(req)),
  );

  app.post(
    '/calendar/overrides/:id/revoke',
    {
      config: { permission: 'calendar:override' },
      schema: {
        tags: ['calendar'],
        params: IdParams,
        body: Type.Object({ reason: Type.Optional(Str) }, { additionalProperties: false }),
        response: { 200: OverrideBody, ...errorResponses },
      },
    },
    async (req) => calendar.revokeOverride(req.params.id, actorOf(req), req.body.reason),
  );

  app.post(
    '/calendar/feed-token',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        description: 'A new personal feed token for /calendar.ics (the previous one stops working).',
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: Type.Object({ user: Str, token: Str, path: Str, createdAt: Str }), ...errorResponses },
      },
    },
    async (req) => calendar.createFeedToken(actorOf(req)),
  );
}

/**
 * GET /calendar.ics?token=…[&product=…&environment=…&kinds=…]: the calendar feed for calendar apps. They
 * cannot send headers, so it is authenticated by the per-user feed token in the URL instead of a permission.
 */
export function calendarFeedRoute(app: App, { calendar, schedule }: Services): void {
  app.get(
    '/calendar.ics',
    {
      config: { public: true },
      schema: {
        tags: ['calendar'],
        querystring: Type.Intersect([Type.Object({ token: Type.Optional(Str) }), RangeQuery]),
      },
    },
    async (req, reply) => {
      const { token, ...query } = req.query;
      const user = token ? await calendar.feedUser(token) : undefined;
      if (!user) throw new AppError('unauthorized', 'a valid feed token is required (railyard calendar feed-token)');
      const ics = await schedule.ics({ ...query, kinds: kindsOf(query) });
      return reply.type('text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300').send(ics);
    },
  );
}
