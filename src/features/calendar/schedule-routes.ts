import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, actorOf, errorResponses } from '../../platform/http/app.js';
import { BookingBody, ConflictBody, IdParams, PlanBody, RangeQuery, read, write } from './calendar-routes.js';

const Str = Type.String();

/** Planned release windows and bookings: /api/v1/calendar/plans, /api/v1/calendar/bookings. */
export function scheduleRoutes(app: App, { schedule }: Services): void {
  const SlotRequest = {
    release: Type.String({ minLength: 1, description: 'PRODUCT@VERSION' }),
    environment: Type.String({ minLength: 1 }),
    start: Type.String({ description: 'ISO-8601 instant' }),
    end: Type.String({ description: 'ISO-8601 instant' }),
  };

  app.get(
    '/calendar/plans',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        querystring: RangeQuery,
        response: { 200: Type.Object({ items: Type.Array(PlanBody) }), ...errorResponses },
      },
    },
    async (req) => ({ items: await schedule.plans({ ...req.query, kinds: undefined }) }),
  );

  app.post(
    '/calendar/plans',
    {
      config: write,
      schema: {
        tags: ['calendar'],
        description: 'Plan when a release enters an environment (replaces an earlier plan for that environment).',
        body: Type.Object(SlotRequest, { additionalProperties: false }),
        response: { 200: Type.Object({ plan: PlanBody, conflicts: Type.Array(ConflictBody) }), ...errorResponses },
      },
    },
    async (req) => schedule.plan(req.body, actorOf(req)),
  );

  app.post(
    '/calendar/plans/remove',
    {
      config: write,
      schema: {
        tags: ['calendar'],
        body: Type.Object({ release: SlotRequest.release, environment: SlotRequest.environment }, { additionalProperties: false }),
        response: { 200: Type.Object({ release: Str, environment: Str, removed: Type.Boolean() }), ...errorResponses },
      },
    },
    async (req) => schedule.unplan(req.body, actorOf(req)),
  );

  app.get(
    '/calendar/bookings',
    {
      config: read,
      schema: {
        tags: ['calendar'],
        querystring: Type.Intersect([RangeQuery, Type.Object({ all: Type.Optional(Type.Boolean()) })]),
        response: { 200: Type.Object({ items: Type.Array(BookingBody) }), ...errorResponses },
      },
    },
    async (req) => ({ items: await schedule.bookings({ ...req.query, kinds: undefined }) }),
  );

  app.post(
    '/calendar/bookings',
    {
      config: write,
      schema: {
        tags: ['calendar'],
        description: 'Reserve an environment for a release. Refused (409) when it conflicts, unless forced with a reason.',
        body: Type.Object(
          { ...SlotRequest, note: Type.Optional(Str), force: Type.Optional(Type.Boolean()), reason: Type.Optional(Str) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ booking: BookingBody, conflicts: Type.Array(ConflictBody) }), ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await schedule.book(req.body, actorOf(req))),
  );

  app.post(
    '/calendar/bookings/:id/cancel',
    {
      config: write,
      schema: {
        tags: ['calendar'],
        params: IdParams,
        body: Type.Object({ reason: Type.Optional(Str) }, { additionalProperties: false }),
        response: { 200: BookingBody, ...errorResponses },
      },
    },
    async (req) => schedule.cancelBooking(req.params.id, actorOf(req), req.body.reason),
  );
}
