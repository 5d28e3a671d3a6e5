import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import type { App } from '../../platform/http/app.js';
import { errorResponses, Nullable } from '../../platform/http/app.js';
import { TIERS } from '../environments/environment.js';

const Stamps = { createdAt: Type.String(), updatedAt: Type.String() };

export const ProductBody = Type.Object({
  id: Type.String(),
  key: Type.String(),
  name: Type.String(),
  description: Type.String(),
  repo: Nullable(Type.String()),
  path: Nullable(Type.String()),
  tagFormat: Type.String(),
  owners: Type.Array(Type.String()),
  notify: Type.Array(Type.String()),
  track: Nullable(Type.String()),
  dependsOn: Type.Array(Type.Object({ product: Type.String(), range: Type.String() })),
  ...Stamps,
});

const EnvironmentBody = Type.Object({
  id: Type.String(),
  key: Type.String(),
  name: Type.String(),
  tier: Type.Enum([...TIERS]),
  timezone: Type.String(),
  protected: Type.Boolean(),
  concurrency: Type.Integer(),
  position: Type.Integer(),
  ...Stamps,
});

const TrackBody = Type.Object({
  id: Type.String(),
  key: Type.String(),
  name: Type.String(),
  environments: Type.Array(Type.String()),
  ...Stamps,
});
const TrainBody = Type.Object({
  id: Type.String(),
  key: Type.String(),
  name: Type.String(),
  products: Type.Array(Type.String()),
  ...Stamps,
});
const KeyParams = Type.Object({ key: Type.String() });

export function catalogRoutes(app: App, { catalog }: Services): void {
  const read = { permission: 'catalog:read' as const };
  app.get(
    '/products',
    { config: read, schema: { tags: ['catalog'], response: { 200: Type.Object({ items: Type.Array(ProductBody) }) } } },
    async () => ({
      items: await catalog.products(),
    }),
  );
  app.get(
    '/products/:key',
    { config: read, schema: { tags: ['catalog'], params: KeyParams, response: { 200: ProductBody, ...errorResponses } } },
    async (req) => catalog.product(req.params.key),
  );
  app.get(
    '/environments',
    { config: read, schema: { tags: ['catalog'], response: { 200: Type.Object({ items: Type.Array(EnvironmentBody) }) } } },
    async () => ({
      items: await catalog.environments(),
    }),
  );
  app.get(
    '/environments/:key',
    { config: read, schema: { tags: ['catalog'], params: KeyParams, response: { 200: EnvironmentBody, ...errorResponses } } },
    async (req) => catalog.environment(req.params.key),
  );
  app.get(
    '/tracks',
    { config: read, schema: { tags: ['catalog'], response: { 200: Type.Object({ items: Type.Array(TrackBody) }) } } },
    async () => ({
      items: await catalog.tracks(),
    }),
  );
  app.get(
    '/trains',
    { config: read, schema: { tags: ['catalog'], response: { 200: Type.Object({ items: Type.Array(TrainBody) }) } } },
    async () => ({
      items: await catalog.trains(),
    }),
  );
}
