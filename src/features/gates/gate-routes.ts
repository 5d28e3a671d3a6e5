import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, actorOf, errorResponses } from '../../platform/http/app.js';

export const GateResultBody = Type.Object({
  release: Type.String(),
  environment: Type.String(),
  passed: Type.Boolean(),
  checks: Type.Array(
    Type.Object({
      name: Type.String(),
      status: Type.Enum(['pass', 'fail', 'unknown']),
      explanation: Type.String(),
      values: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
});

export const ApprovalStatusBody = Type.Object({
  required: Type.Integer(),
  count: Type.Integer(),
  satisfied: Type.Boolean(),
  approvers: Type.Array(Type.String()),
  missingRoles: Type.Array(Type.String()),
  explanation: Type.String(),
  approvals: Type.Array(
    Type.Object({
      id: Type.String(),
      release: Type.String(),
      environment: Type.String(),
      approver: Type.String(),
      role: Type.Union([Type.String(), Type.Null()]),
      comment: Type.String(),
      digest: Type.String(),
      createdAt: Type.String(),
      valid: Type.Boolean(),
      reason: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

const Params = Type.Object({ ref: Type.String({ description: 'PRODUCT@VERSION' }), env: Type.String() });

export function gateRoutes(app: App, { gates, approvals }: Services): void {
  app.get(
    '/releases/:ref/gates/:env',
    {
      config: { permission: 'releases:read' },
      schema: {
        tags: ['gates'],
        description: "Evaluate the environment's gate for the release. The caller is the promoter (for distinctFrom: promoter).",
        params: Params,
        response: { 200: GateResultBody, ...errorResponses },
      },
    },
    async (req) => gates.check(req.params.ref, req.params.env, actorOf(req)),
  );

  app.get(
    '/releases/:ref/approvals/:env',
    {
      config: { permission: 'releases:read' },
      schema: { tags: ['gates'], params: Params, response: { 200: ApprovalStatusBody, ...errorResponses } },
    },
    async (req) => approvals.status(req.params.ref, req.params.env),
  );

  app.post(
    '/releases/:ref/approvals/:env',
    {
      config: { permission: 'approvals:write' },
      schema: {
        tags: ['gates'],
        description: 'Approve the release for the environment as the caller; refused (409 blocked) against separation of duties.',
        params: Params,
        body: Type.Object(
          { role: Type.Optional(Type.String({ minLength: 1 })), comment: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        response: { 200: ApprovalStatusBody, ...errorResponses },
      },
    },
    async (req) => approvals.approve({ release: req.params.ref, environment: req.params.env, ...req.body }, actorOf(req)),
  );
}
