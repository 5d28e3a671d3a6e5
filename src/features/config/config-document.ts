import { Settings } from 'typebox/system';
import Value from 'typebox/value';
import { type Document, isMap, isNode, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { AppError, type ErrorDetail } from '../../platform/errors.js';
import { allowedKeysIn, describeSchemaErrors, type FieldProblem, formatPath, type SchemaError } from '../../platform/validation.js';
import { semanticProblems } from './config-rules.js';
import { type ConfigFile, ConfigSchema } from './config-schema.js';

/**
 * Parses railyard.yaml text, validates it against the schema and the cross-reference rules, and reports
 * every problem at its file:line:column. Pure: the caller reads the file.
 */
export function parseConfig(text: string, file: string): ConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { file, line: pos.line, column: pos.col, message: e.message.split('\n')[0] ?? e.message };
    });
    throw invalid(file, details);
  }
  const value: unknown = doc.toJS() ?? {};
  const locate = locator(doc, lineCounter, file);

  if (!Value.Check(ConfigSchema, value)) {
    const problems = describeSchemaErrors(
      allErrors(value),
      (path) => valueAt(value, path),
      (path) => allowedKeysIn(ConfigSchema, path),
    );
    throw invalid(file, problems.map(locate));
  }
  const problems = semanticProblems(value);
  if (problems.length > 0) throw invalid(file, problems.map(locate));
  return value;
}

/**
 * Every schema error, not TypeBox's default first 8 (which also count the echoes a union produces): the
 * promise is that one run shows every problem of the file. The setting is global, so it is restored at once.
 */
function allErrors(value: unknown): SchemaError[] {
  const { maxErrors } = Settings.Get();
  Settings.Set({ maxErrors: 10_000 });
  try {
    return Value.Errors(ConfigSchema, value) as SchemaError[];
  } finally {
    Settings.Set({ maxErrors });
  }
}

/**
 * Problems that a section's own rules found in a file parseConfig accepted (the versioning section's, read by
 * the versioning commands), as one error with each problem at its line and column.
 */
export function configProblems(text: string, file: string, problems: readonly FieldProblem[]): AppError {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return invalid(file, problems.map(locator(doc, lineCounter, file)));
}

function locator(doc: Document, lineCounter: LineCounter, file: string): (p: FieldProblem) => ErrorDetail {
  return (p) => {
    const node = nodeAt(doc.contents, p.path, p.atKey === true);
    const offset = node?.range?.[0];
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    return { file, line: pos?.line, column: pos?.col, path: formatPath(p.path), message: p.message };
  };
}

function invalid(file: string, unsorted: ErrorDetail[]): AppError {
  const details = [...unsorted].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const n = details.length;
  return new AppError('config_invalid', `${file} has ${n} problem${n === 1 ? '' : 's'}`, details);
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** The YAML node at a path (or the key node of its last segment); falls back to the nearest parent. */
function nodeAt(root: unknown, path: (string | number)[], atKey: boolean): Node | undefined {
  let node: unknown = root;
  let found: Node | undefined = isNode(root) ? root : undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === seg);
      if (!pair) return found;
      node = atKey && i === path.length - 1 ? pair.key : pair.value;
    } else {
      return found;
    }
    if (isNode(node)) found = node;
  }
  return found;
}
