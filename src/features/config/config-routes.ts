import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, actorOf, errorResponses } from '../../platform/http/app.js';
import { jsonSchemaDocument } from './config-schema.js';

const PlanBody = Type.Object({
  file: Type.String(),
  dryRun: Type.Boolean(),
  created: Type.Integer(),
  updated: Type.Integer(),
  deleted: Type.Integer(),
  unchanged: Type.Integer(),
  items: Type.Array(
    Type.Object({
      kind: Type.String(),
      key: Type.String(),
      action: Type.Enum(['create', 'update', 'delete', 'unchanged']),
      restore: Type.Optional(Type.Boolean()),
      changes: Type.Array(Type.Object({ field: Type.String(), from: Type.Unknown(), to: Type.Unknown() })),
    }),
  ),
});

export function configRoutes(app: App, { config }: Services): void {
  app.post(
    '/config/apply',
    {
      config: { permission: 'config:apply' },
      schema: {
        tags: ['config'],
        description: 'Apply railyard.yaml (sent as text). With dryRun, only show the plan.',
        body: Type.Object(
          {
            yaml: Type.String({ description: 'The file content.' }),
            file: Type.Optional(Type.String({ description: 'Name used in error positions.', default: 'railyard.yaml' })),
            dryRun: Type.Optional(Type.Boolean({ default: false })),
          },
          { additionalProperties: false },
        ),
        response: { 200: PlanBody, 422: errorResponses[400], 400: errorResponses[400] },
      },
    },
    async (req) => config.apply(req.body.yaml, req.body.file ?? 'railyard.yaml', { dryRun: req.body.dryRun ?? false }, actorOf(req)),
  );

  app.get('/config/schema', { config: { public: true }, schema: { tags: ['config'] } }, async () => jsonSchemaDocument());
}
