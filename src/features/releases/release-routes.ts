import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, actorOf, errorResponses, Nullable } from '../../platform/http/app.js';
import { DeploymentBody } from '../deployments/deployment-routes.js';
import { CHANGE_KINDS, CHANGE_TYPES } from './change.js';
import { RELEASE_STATUSES } from './release.js';

export const ReleaseBody = Type.Object({
  id: Type.String(),
  product: Type.String(),
  version: Type.String(),
  ref: Type.String({ description: 'PRODUCT@VERSION' }),
  title: Type.String(),
  status: Type.Enum([...RELEASE_STATUSES]),
  targetDate: Nullable(Type.String()),
  author: Nullable(Type.String()),
  train: Nullable(Type.String()),
  notes: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  releasedAt: Nullable(Type.String()),
});

const ChangeBody = Type.Object({
  id: Type.String(),
  kind: Type.Enum([...CHANGE_KINDS]),
  type: Type.Enum([...CHANGE_TYPES]),
  ref: Type.String(),
  title: Type.String(),
  author: Nullable(Type.String()),
  link: Nullable(Type.String()),
  breaking: Type.Boolean(),
  afterFreeze: Type.Boolean(),
  createdAt: Type.String(),
});

const ReleaseDetailBody = Type.Intersect([
  ReleaseBody,
  Type.Object({ changes: Type.Array(ChangeBody), deployments: Type.Array(DeploymentBody) }),
]);
const RefParams = Type.Object({ ref: Type.String({ description: 'PRODUCT@VERSION, e.g. shop@1.4.0' }) });

const NewChangeBody = Type.Object(
  {
    kind: Type.Enum([...CHANGE_KINDS]),
    type: Type.Enum([...CHANGE_TYPES]),
    ref: Type.String({ minLength: 1 }),
    title: Type.String({ minLength: 1 }),
    author: Type.Optional(Type.String()),
    link: Type.Optional(Type.String()),
    breaking: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * A release created with its scope (what `release cut` sends) may bring this many changes in one request and
 * one transaction; adding to an existing scope takes 5,000 at a time. The body of such a request can pass the
 * server's 10 MB default (a title may be 500 characters), so this route allows more.
 */
const CREATE_MAX_CHANGES = 20_000;
const CREATE_BODY_LIMIT = 32 * 1024 * 1024;

export function releaseRoutes(app: App, { releases }: Services): void {
  app.get(
    '/releases',
    {
      config: { permission: 'releases:read' },
      schema: {
        tags: ['releases'],
        querystring: Type.Object({
          product: Type.Optional(Type.String()),
          status: Type.Optional(Type.Enum([...RELEASE_STATUSES])),
          train: Type.Optional(Type.String()),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
          cursor: Type.Optional(Type.String({ description: 'nextCursor of the previous page' })),
        }),
        response: { 200: Type.Object({ items: Type.Array(ReleaseBody), nextCursor: Nullable(Type.String()) }), ...errorResponses },
      },
    },
    async (req) => {
      const { cursor, limit, ...filters } = req.query;
      const items = await releases.list({ ...filters, before: cursor, limit });
      return { items, nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null };
    },
  );

  app.post(
    '/releases',
    {
      config: { permission: 'releases:write' },
      bodyLimit: CREATE_BODY_LIMIT,
      schema: {
        tags: ['releases'],
        description: 'Creates a planned release; with `changes`, its scope too, in one transaction (as `railyard release cut` does).',
        body: Type.Object(
          {
            product: Type.String({ minLength: 1 }),
            version: Type.String({ minLength: 1 }),
            title: Type.Optional(Type.String({ minLength: 1 })),
            targetDate: Type.Optional(Type.String({ description: 'YYYY-MM-DD or ISO-8601 time' })),
            author: Type.Optional(Type.String({ minLength: 1 })),
            train: Type.Optional(Type.String()),
            notes: Type.Optional(Type.String()),
            changes: Type.Optional(Type.Array(NewChangeBody, { maxItems: CREATE_MAX_CHANGES })),
          },
          { additionalProperties: false },
        ),
        response: { 201: ReleaseBody, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await releases.create(req.body, actorOf(req))),
  );

  app.get(
    '/releases/:ref',
    {
      config: { permission: 'releases:read' },
      schema: { tags: ['releases'], params: RefParams, response: { 200: ReleaseDetailBody, ...errorResponses } },
    },
    async (req) => releases.show(req.params.ref),
  );

  app.post(
    '/releases/:ref/status',
    {
      config: { permission: 'releases:write' },
      schema: {
        tags: ['releases'],
        params: RefParams,
        body: Type.Object(
          { status: Type.Enum([...RELEASE_STATUSES]), reason: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        response: { 200: ReleaseBody, ...errorResponses },
      },
    },
    async (req) => releases.setStatus(req.params.ref, req.body.status, actorOf(req), req.body.reason),
  );

  app.post(
    '/releases/:ref/changes',
    {
      config: { permission: 'releases:write' },
      schema: {
        tags: ['releases'],
        params: RefParams,
        body: Type.Object(
          {
            changes: Type.Array(NewChangeBody, { minItems: 1, maxItems: 5000 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ items: Type.Array(ChangeBody) }), ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send({ items: await releases.addChanges(req.params.ref, req.body.changes, actorOf(req)) }),
  );
}
