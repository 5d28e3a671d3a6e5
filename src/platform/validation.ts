/**
 * Turns JSON Schema validation errors (TypeBox's and Ajv's share this shape) into messages a person can act
 * on: `expected one of dev|test|staging|prod`, `unknown field 'teir' (did you mean 'tier'?)`.
 */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface FieldProblem {
  /** Path segments of the value in the document, e.g. ['environments', 2, 'tier']. */
  path: (string | number)[];
  message: string;
  /** The problem is a key of a mapping (an unknown field), not a value. */
  atKey?: boolean;
}

export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), '');
}

/** The field names a JSON Schema allows at a path inside the value it describes, for "did you mean" hints. */
export function allowedKeysIn(schema: unknown, path: readonly (string | number)[]): string[] {
  let nodes = [schema as SchemaNode | undefined];
  for (const seg of path) {
    nodes = nodes.flatMap(branches).map((n) => (typeof seg === 'number' ? n.items : n.properties?.[seg]) as SchemaNode | undefined);
  }
  return [...new Set(nodes.flatMap(branches).flatMap((n) => Object.keys(n.properties ?? {})))];
}

interface SchemaNode {
  properties?: Record<string, unknown>;
  items?: unknown;
  anyOf?: SchemaNode[];
}

/** A schema, or each branch of a union (`string | {…}` fields), so hints look inside every object form. */
function branches(node: SchemaNode | undefined): SchemaNode[] {
  if (!node) return [];
  return node.anyOf ? node.anyOf.flatMap(branches) : [node];
}

/** Ranks what a schema allows at a position so that near-misses can be suggested. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Maps raw errors to problems, one per place, dropping the echoes a union or `additionalProperties: false`
 * produces (Ajv and TypeBox report both the branch errors and the summary).
 */
export function describeSchemaErrors(
  errors: Iterable<SchemaError>,
  valueAt: (path: (string | number)[]) => unknown,
  allowedKeysAt: (path: (string | number)[]) => string[],
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  const push = (p: FieldProblem) => {
    const id = `${formatPath(p.path)}|${p.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      problems.push(p);
    }
  };
  for (const e of withoutUnionEchoes([...errors], valueAt)) {
    const path = pointerToPath(e.instancePath);
    const value = valueAt(path);
    switch (e.keyword) {
      case 'boolean':
      case 'anyOf':
        break;
      case 'additionalProperties': {
        const extra = (e.params.additionalProperties ?? e.params.additionalProperty) as string | string[];
        for (const name of Array.isArray(extra) ? extra : [extra]) {
          const allowed = allowedKeysAt(path);
          const hint = closest(name, allowed);
          const msg = hint
            ? `unknown field '${name}' (did you mean '${hint}'?)`
            : `unknown field '${name}'${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`;
          push({ path: [...path, name], message: msg, atKey: true });
        }
        break;
      }
      case 'required': {
        const names = (e.params.requiredProperties ?? [e.params.missingProperty]) as string[];
        for (const name of names) push({ path, message: `missing required field '${name}'` });
        break;
      }
      case 'enum': {
        const allowed = (e.params.allowedValues ?? []) as unknown[];
        push({ path, message: `expected one of ${allowed.join('|')}, got ${typeName(value)}` });
        break;
      }
      case 'const':
        push({ path, message: `expected ${JSON.stringify(e.params.allowedValue)}, got ${typeName(value)}` });
        break;
      case 'type': {
        const t = e.params.type;
        push({ path, message: `expected ${Array.isArray(t) ? t.join(' or ') : String(t)}, got ${typeName(value)}` });
        break;
      }
      case 'minItems':
        push({ path, message: e.params.limit === 1 ? 'must list at least one' : `must list at least ${String(e.params.limit)}` });
        break;
      case 'minLength':
        push({ path, message: e.params.limit === 1 ? 'must not be empty' : `must be at least ${String(e.params.limit)} characters` });
        break;
      case 'pattern':
        push({ path, message: `${typeName(value)} does not match ${String(e.params.pattern)}` });
        break;
      default:
        push({ path, message: e.message ?? e.keyword });
    }
  }
  return problems;
}

const MISMATCH = new Set(['type', 'const']);

/**
 * A value that fails a union (`string | {instructions, role}`) fails every branch, and each says so. When
 * the value has the right shape for some branch, only that branch's complaints matter ("missing required
 * field 'instructions'", not also "expected string"); when it fits none, one message lists them all
 * ("expected string or object, got number 5").
 */
function withoutUnionEchoes(errors: SchemaError[], valueAt: (path: (string | number)[]) => unknown): SchemaError[] {
  let out = errors;
  for (const union of errors.filter((e) => e.keyword === 'anyOf')) {
    const at = union.instancePath;
    const inside = out.filter((e) => e !== union && (e.instancePath === at || e.instancePath.startsWith(`${at}/`)));
    const mismatches = inside.filter((e) => e.instancePath === at && MISMATCH.has(e.keyword));
    if (mismatches.length === 0) continue;
    const others = inside.filter((e) => !mismatches.includes(e) && e.keyword !== 'anyOf' && e.keyword !== 'boolean');
    const kept = out.filter((e) => !mismatches.includes(e));
    if (others.length > 0) {
      out = kept;
      continue;
    }
    const expected = [
      ...new Set(mismatches.map((e) => (e.keyword === 'const' ? JSON.stringify(e.params.allowedValue) : String(e.params.type)))),
    ];
    const merged: SchemaError = {
      keyword: 'union',
      instancePath: at,
      params: {},
      message: `expected ${expected.join(' or ')}, got ${typeName(valueAt(pointerToPath(at)))}`,
    };
    out = kept.map((e) => (e === union ? merged : e));
  }
  return out;
}
