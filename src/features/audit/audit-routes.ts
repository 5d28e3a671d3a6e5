import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, errorResponses, Nullable } from '../../platform/http/app.js';

const AuditEventBody = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  subjectType: Type.String(),
  subjectId: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
  hash: Type.String(),
});

export const VerifyBody = Type.Object({
  ok: Type.Boolean(),
  events: Type.Integer(),
  headHash: Type.String(),
  firstBroken: Nullable(Type.Object({ seq: Type.Integer(), id: Type.String(), reason: Type.String() })),
});

export function auditRoutes(app: App, { audit }: Services): void {
  app.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        querystring: Type.Object({
          subjectType: Type.Optional(Type.String()),
          subjectId: Type.Optional(Type.String()),
          actor: Type.Optional(Type.String()),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
          cursor: Type.Optional(Type.Integer({ minimum: 1, description: 'nextCursor of the previous page' })),
        }),
        response: { 200: Type.Object({ items: Type.Array(AuditEventBody), nextCursor: Nullable(Type.Integer()) }), ...errorResponses },
      },
    },
    async (req) => {
      const { cursor, ...q } = req.query;
      const items = await audit.list({ ...q, beforeSeq: cursor });
      return { items, nextCursor: items.length === q.limit ? (items.at(-1)?.seq ?? null) : null };
    },
  );

  app.get('/audit/verify', { config: { permission: 'audit:read' }, schema: { tags: ['audit'], response: { 200: VerifyBody } } }, async () =>
    audit.verify(),
  );
}
