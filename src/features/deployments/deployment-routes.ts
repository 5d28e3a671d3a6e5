import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, actorOf, errorResponses, Nullable } from '../../platform/http/app.js';
import { DEPLOYMENT_STATUSES } from './deployment.js';

export const DeploymentBody = Type.Object({
  id: Type.String(),
  product: Type.String(),
  environment: Type.String(),
  version: Type.String(),
  release: Type.String(),
  status: Type.Enum([...DEPLOYMENT_STATUSES]),
  actor: Type.String(),
  startedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
});

export function deploymentRoutes(app: App, { deployments }: Services): void {
  app.get(
    '/deployments',
    {
      config: { permission: 'deployments:read' },
      schema: {
        tags: ['deployments'],
        querystring: Type.Object({
          product: Type.Optional(Type.String()),
          environment: Type.Optional(Type.String()),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
          cursor: Type.Optional(Type.String()),
        }),
        response: { 200: Type.Object({ items: Type.Array(DeploymentBody), nextCursor: Nullable(Type.String()) }) },
      },
    },
    async (req) => {
      const { cursor, limit, ...filters } = req.query;
      const items = await deployments.list({ ...filters, before: cursor, limit });
      return { items, nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null };
    },
  );

  app.post(
    '/deployments',
    {
      config: { permission: 'deployments:write' },
      schema: {
        tags: ['deployments'],
        description: 'Report a deployment made outside Railyard (e.g. by a CI pipeline).',
        body: Type.Object(
          {
            release: Type.String({ description: 'PRODUCT@VERSION' }),
            environment: Type.String(),
            status: Type.Enum([...DEPLOYMENT_STATUSES]),
            startedAt: Type.Optional(Type.String({ format: 'date-time' })),
            finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: DeploymentBody, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await deployments.record(req.body, actorOf(req))),
  );
}
