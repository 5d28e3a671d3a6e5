import Type, { type Static } from 'typebox';
import { KEY_PATTERN } from '../products/product.js';

export const BUILTINS = ['approvals', 'soak', 'window', 'dependencies', 'risks', 'review'] as const;
export const SEPARATIONS = ['author', 'committers', 'promoter'] as const;
export type Separation = (typeof SEPARATIONS)[number];

const Duration = (description: string) => Type.String({ pattern: '^(\\d+[dhms])+$', description });

export const ApprovalRuleSchema = Type.Object(
  {
    min: Type.Optional(Type.Integer({ minimum: 0, maximum: 50, description: 'Approvals needed (default 1).' })),
    roles: Type.Optional(Type.Array(Type.String({ pattern: KEY_PATTERN }), { description: 'Roles that must each approve at least once.' })),
    distinctFrom: Type.Optional(
      Type.Array(Type.Enum([...SEPARATIONS]), {
        description: 'Separation of duties: who may not approve (the release author, authors of its changes, the promoter).',
      }),
    ),
    expires: Type.Optional(Duration('How long an approval counts, e.g. 72h (default: until the scope changes).')),
  },
  { additionalProperties: false },
);
export type ApprovalRule = Static<typeof ApprovalRuleSchema>;

export const GateCheckSchema = Type.Object(
  {
    name: Type.String({ pattern: KEY_PATTERN, description: 'Unique within the gate.' }),
    description: Type.Optional(Type.String()),
    cel: Type.Optional(Type.String({ minLength: 1, description: 'A CEL expression that must be true (see docs/GATES.md).' })),
    builtin: Type.Optional(Type.Enum([...BUILTINS], { description: 'A built-in check instead of an expression.' })),
    from: Type.Optional(
      Type.String({ pattern: KEY_PATTERN, description: 'soak: the environment (default: the previous one in the track).' }),
    ),
    min: Type.Optional(Duration('soak: the time needed there, e.g. 24h (default 24h).')),
    kind: Type.Optional(Type.String({ pattern: KEY_PATTERN, description: 'review: which review decides (default go-no-go).' })),
  },
  { additionalProperties: false },
);
export type GateCheck = Static<typeof GateCheckSchema>;

export const GateSchema = Type.Object(
  {
    environment: Type.String({ pattern: KEY_PATTERN, description: 'The environment this gate guards.' }),
    checks: Type.Array(GateCheckSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const ReviewTemplateSchema = Type.Object(
  {
    kind: Type.String({ pattern: KEY_PATTERN, description: 'e.g. go-no-go, readiness, milestone.' }),
    key: Type.Optional(
      Type.String({ pattern: KEY_PATTERN, description: 'Template key for `review open --template` (default: the kind).' }),
    ),
    name: Type.Optional(Type.String({ minLength: 1 })),
    checklist: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Items participants tick.' })),
    rule: Type.Optional(Type.Enum(['unanimous', 'majority'], { description: 'How votes decide (default unanimous).' })),
    roles: Type.Optional(
      Type.Array(Type.String({ pattern: KEY_PATTERN }), {
        description: 'Roles that must vote; when set, only votes cast in these roles decide (others are advisory).',
      }),
    ),
    quorum: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Votes (not abstentions) needed to decide (default 1).' })),
  },
  { additionalProperties: false },
);

/** The stored specs (what `apply` compares), keyed like every declared thing. */
export interface GateSpec {
  key: string;
  checks: GateCheck[];
}

export interface ReviewTemplateSpec {
  key: string;
  kind: string;
  name: string;
  checklist: string[];
  rule: 'unanimous' | 'majority';
  roles: string[];
  quorum: number;
}

export interface GatesSection {
  environments?: { key: string; approvals?: ApprovalRule }[];
  gates?: Static<typeof GateSchema>[];
  reviews?: Static<typeof ReviewTemplateSchema>[];
}

export function gateSpecs(config: GatesSection): GateSpec[] {
  return (config.gates ?? []).map((g) => ({ key: g.environment, checks: g.checks.map((c) => ({ ...c })) }));
}

export function reviewTemplateSpecs(config: GatesSection): ReviewTemplateSpec[] {
  return (config.reviews ?? []).map((r) => ({
    key: r.key ?? r.kind,
    kind: r.kind,
    name: r.name ?? r.kind,
    checklist: [...(r.checklist ?? [])],
    rule: r.rule ?? 'unanimous',
    roles: [...(r.roles ?? [])],
    quorum: r.quorum ?? 1,
  }));
}
