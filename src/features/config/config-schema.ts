import Type, { type Static } from 'typebox';
import { CadenceSchema } from '../calendar/cadence.js';
import { WindowSchema } from '../calendar/window-schema.js';
import { TIERS } from '../environments/environment.js';
import { ApprovalRuleSchema, GateSchema, ReviewTemplateSchema } from '../gates/gate-config.js';
import { PlanSchema } from '../plans/plan-config.js';
import { KEY_PATTERN } from '../products/product.js';
import { RiskConfigSchema } from '../risk/risk-config.js';
import { VersioningConfigSchema } from '../versioning/versioning-config-schema.js';

const Key = (description: string) => Type.String({ pattern: KEY_PATTERN, description });
const KeyList = (description: string) => Type.Array(Type.String({ pattern: KEY_PATTERN }), { description });

export const DependencySchema = Type.Object(
  {
    product: Key('Key of the product depended on.'),
    range: Type.String({ minLength: 1, description: 'Semver range of versions that satisfy it, e.g. ">=2.1 <3".' }),
  },
  { additionalProperties: false },
);

export const ProductSchema = Type.Object(
  {
    key: Key('Unique key, used in references such as shop@1.2.0.'),
    name: Type.Optional(Type.String({ minLength: 1, description: 'Display name (defaults to the key).' })),
    description: Type.Optional(Type.String()),
    repo: Type.Optional(Type.String({ minLength: 1, description: 'Git repository: a URL or a local path.' })),
    path: Type.Optional(Type.String({ minLength: 1, description: 'Folder inside a monorepo.' })),
    tagFormat: Type.Optional(Type.String({ minLength: 1, description: 'Git tag format, e.g. v{version} or {name}@{version}.' })),
    owners: Type.Optional(KeyList('People or teams who own the product.')),
    notify: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Who hears about its releases.' })),
    track: Type.Optional(Key('Track its releases are promoted through.')),
    dependsOn: Type.Optional(Type.Array(DependencySchema, { description: 'Products this one needs, with versions.' })),
    tags: Type.Optional(KeyList('Tags calendar windows can be scoped to.')),
    cadence: Type.Optional(CadenceSchema),
    plans: Type.Optional(
      Type.Record(Type.String(), Type.String({ pattern: KEY_PATTERN }), {
        description: 'Plans for this product by environment key, instead of the environment’s plan: { prod: careful }.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const EnvironmentSchema = Type.Object(
  {
    key: Key('Unique key, e.g. prod.'),
    name: Type.Optional(Type.String({ minLength: 1 })),
    tier: Type.Enum([...TIERS], { description: 'One of dev, test, staging, prod.' }),
    timezone: Type.Optional(Type.String({ minLength: 1, description: 'IANA time zone, e.g. Europe/Berlin (default UTC).' })),
    protected: Type.Optional(Type.Boolean({ description: 'Guarded by approvals and gates (default: true for prod).' })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Promotions at once (default 1).' })),
    tags: Type.Optional(KeyList('Tags calendar windows can be scoped to.')),
    approvals: Type.Optional(ApprovalRuleSchema),
    plan: Type.Optional(Key('The plan a promotion into it runs (a product can name another under plans:).')),
  },
  { additionalProperties: false },
);

export const TrackSchema = Type.Object(
  {
    key: Key('Unique key.'),
    name: Type.Optional(Type.String({ minLength: 1 })),
    environments: Type.Array(Type.String({ pattern: KEY_PATTERN }), {
      minItems: 1,
      description: 'Environments in promotion order.',
    }),
  },
  { additionalProperties: false },
);

export const TrainSchema = Type.Object(
  {
    key: Key('Unique key.'),
    name: Type.Optional(Type.String({ minLength: 1 })),
    products: KeyList('Products whose releases ship together.'),
    cadence: Type.Optional(CadenceSchema),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    version: Type.Optional(Type.Literal(1, { description: 'Version of this file format.' })),
    products: Type.Optional(Type.Array(ProductSchema)),
    environments: Type.Optional(Type.Array(EnvironmentSchema)),
    tracks: Type.Optional(Type.Array(TrackSchema)),
    trains: Type.Optional(Type.Array(TrainSchema)),
    windows: Type.Optional(Type.Array(WindowSchema, { description: 'Calendar windows: freezes and maintenance windows.' })),
    gates: Type.Optional(Type.Array(GateSchema, { description: 'Checks a release must pass to enter an environment.' })),
    reviews: Type.Optional(Type.Array(ReviewTemplateSchema, { description: 'Review templates: checklist and decision rule.' })),
    risk: Type.Optional(RiskConfigSchema),
    plans: Type.Optional(Type.Array(PlanSchema, { description: 'Deployment plans: the steps a promotion runs, and its rollback.' })),
    versioning: Type.Optional(VersioningConfigSchema),
  },
  {
    additionalProperties: false,
    $id: 'https://railyard.dev/schema/railyard.schema.json',
    title: 'railyard.yaml',
    description: 'Railyard configuration as code: products, environments, tracks, trains, gates and plans.',
  },
);

export type ConfigFile = Static<typeof ConfigSchema>;

/** The JSON Schema document published for editors (`railyard schema`). */
export function jsonSchemaDocument(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...structuredClone(ConfigSchema) };
}
