import { AppError } from '../../platform/errors.js';
import { parseJson } from './coverage.js';
import type { SarifFacts } from './evidence.js';

type Level = 'error' | 'warning' | 'note' | 'none';
const LEVELS: readonly string[] = ['error', 'warning', 'note', 'none'];

interface SarifRule {
  id?: string;
  defaultConfiguration?: { level?: string };
}
interface SarifRun {
  tool?: { driver?: { rules?: SarifRule[] } };
  results?: { ruleId?: string; rule?: { id?: string; index?: number }; ruleIndex?: number; level?: string; kind?: string }[];
}

/**
 * SARIF 2.1.0: results counted by level and by rule. A result without a level takes its rule's default
 * level, and `warning` when the rule has none (as the SARIF spec says).
 */
export function parseSarif(text: string, file = 'report.sarif'): SarifFacts {
  const doc = parseJson(text, file) as { version?: unknown; runs?: SarifRun[] };
  if (!doc || typeof doc !== 'object' || doc.version !== '2.1.0' || !Array.isArray(doc.runs)) {
    throw new AppError(
      'bad_request',
      `${file}: not a SARIF 2.1.0 log (expected "version": "2.1.0" and "runs", got version ${JSON.stringify(doc?.version)})`,
    );
  }
  const facts: SarifFacts = { error: 0, warning: 0, note: 0, none: 0, total: 0, rules: {} };
  for (const run of doc.runs) {
    const rules = run.tool?.driver?.rules ?? [];
    const defaults = new Map<string, string>();
    for (const r of rules) if (r.id && r.defaultConfiguration?.level) defaults.set(r.id, r.defaultConfiguration.level);
    for (const result of run.results ?? []) {
      const index = result.ruleIndex ?? result.rule?.index;
      const ruleId = result.ruleId ?? result.rule?.id ?? (index !== undefined ? rules[index]?.id : undefined) ?? '(no rule)';
      // A result of a kind other than `fail` (pass, review, informational…) has level none by default.
      const fallback = result.kind && result.kind !== 'fail' ? 'none' : (defaults.get(ruleId) ?? 'warning');
      const level = (LEVELS.includes(result.level ?? '') ? result.level : fallback) as Level;
      facts[level]++;
      facts.total++;
      facts.rules[ruleId] = (facts.rules[ruleId] ?? 0) + 1;
    }
  }
  return facts;
}
