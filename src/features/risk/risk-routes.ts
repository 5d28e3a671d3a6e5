import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, actorOf, errorResponses, Nullable } from '../../platform/http/app.js';
import { RISK_FACTORS } from './risk.js';

const Str = Type.String();
const Level = Type.Integer({ minimum: 1, maximum: 5 });

export const RiskItemBody = Type.Object({
  id: Str,
  release: Str,
  title: Str,
  likelihood: Type.Integer(),
  impact: Type.Integer(),
  severity: Type.Integer(),
  owner: Nullable(Str),
  mitigation: Str,
  status: Type.Enum(['open', 'closed']),
  blocker: Type.Boolean(),
  createdAt: Str,
  updatedAt: Str,
});

export const RiskReportBody = Type.Object({
  release: Str,
  score: Type.Integer(),
  level: Type.Enum(['low', 'medium', 'high', 'critical']),
  factors: Type.Array(
    Type.Object({
      key: Type.Enum([...RISK_FACTORS]),
      weight: Type.Number(),
      value: Type.Number(),
      points: Type.Number(),
      explanation: Str,
    }),
  ),
  omitted: Type.Array(Type.Object({ key: Type.Enum([...RISK_FACTORS]), reason: Str })),
  register: Type.Array(RiskItemBody),
});

const Ref = Type.Object({ ref: Type.String({ description: 'PRODUCT@VERSION' }) });
const Fields = {
  owner: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  mitigation: Type.Optional(Type.String()),
  blocker: Type.Optional(Type.Boolean({ description: 'an open blocker fails the gate built-in risks' })),
};

export function riskRoutes(app: App, { risk }: Services): void {
  const tags = ['risk'];
  app.get(
    '/releases/:ref/risk',
    {
      config: { permission: 'releases:read' },
      schema: {
        tags,
        description: 'Risk score (0–100) with explained factors, and the risk register.',
        params: Ref,
        response: { 200: RiskReportBody, ...errorResponses },
      },
    },
    async (req) => risk.show(req.params.ref),
  );
  app.post(
    '/releases/:ref/risks',
    {
      config: { permission: 'releases:write' },
      schema: {
        tags,
        description: 'Add an entry to the risk register.',
        params: Ref,
        body: Type.Object(
          { title: Type.String({ minLength: 1 }), likelihood: Level, impact: Level, ...Fields },
          { additionalProperties: false },
        ),
        response: { 200: RiskItemBody, ...errorResponses },
      },
    },
    async (req) => risk.add(req.params.ref, { ...req.body }, actorOf(req)),
  );
  app.post(
    '/releases/:ref/risks/:id',
    {
      config: { permission: 'releases:write' },
      schema: {
        tags,
        description: 'Change a register entry; status closed closes it, open reopens it.',
        params: Type.Object({ ref: Str, id: Str }),
        body: Type.Object(
          {
            title: Type.Optional(Type.String({ minLength: 1 })),
            likelihood: Type.Optional(Level),
            impact: Type.Optional(Level),
            status: Type.Optional(Type.Enum(['open', 'closed'])),
            ...Fields,
          },
          { additionalProperties: false },
        ),
        response: { 200: RiskItemBody, ...errorResponses },
      },
    },
    async (req) => risk.update(req.params.ref, req.params.id, { ...req.body }, actorOf(req)),
  );
}
