import type { FieldProblem } from '../../platform/validation.js';
import type { Cadence } from './cadence.js';
import { cadenceAsWindow } from './cadence.js';
import { windowProblems } from './recurrence.js';
import { normalizeWindow, type WindowInput } from './window.js';

/** The parts of railyard.yaml the calendar checks (a structural view, so config and calendar stay apart). */
export interface CalendarDeclarations {
  products?: { key: string; cadence?: Cadence }[];
  environments?: { key: string }[];
  trains?: { key: string; cadence?: Cadence }[];
  windows?: WindowInput[];
}

/**
 * Rules of `windows:` and cadences a schema cannot express, each at its path: unique keys, references to
 * declared environments and products, the RRULE, the time zone, times and durations, an end before its start,
 * a window that never occurs.
 */
export function calendarProblems(config: CalendarDeclarations): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const envKeys = new Set((config.environments ?? []).map((e) => e.key));
  const productKeys = new Set((config.products ?? []).map((p) => p.key));
  const seen = new Map<string, number>();
  (config.windows ?? []).forEach((input, i) => {
    const earlier = seen.get(input.key);
    if (earlier !== undefined)
      problems.push({ path: ['windows', i, 'key'], message: `duplicate key '${input.key}' (also windows[${earlier}])` });
    else seen.set(input.key, i);
    const refs: ['environments' | 'products', Set<string>, string][] = [
      ['environments', envKeys, 'environment'],
      ['products', productKeys, 'product'],
    ];
    for (const [field, known, what] of refs) {
      (input[field] ?? []).forEach((key, j) => {
        if (!known.has(key)) {
          const declared = known.size ? ` (declared: ${[...known].join(', ')})` : ` (no ${what}s are declared)`;
          problems.push({ path: ['windows', i, field, j], message: `unknown ${what} '${key}'${declared}` });
        }
      });
    }
    for (const p of windowProblems(normalizeWindow(input))) {
      const field = p.field === 'exdates' ? 'exdates' : p.field;
      // A problem with a field that was not written (e.g. a missing duration) is reported at the window.
      const written = (input as unknown as Record<string, unknown>)[field] !== undefined;
      problems.push({ path: written ? ['windows', i, field] : ['windows', i], message: p.message });
    }
  });
  const cadences: ['products' | 'trains', { key: string; cadence?: Cadence }[]][] = [
    ['products', config.products ?? []],
    ['trains', config.trains ?? []],
  ];
  for (const [section, items] of cadences) {
    items.forEach((item, i) => {
      if (!item.cadence) return;
      const env = item.cadence.environment;
      if (env !== undefined && !envKeys.has(env)) {
        problems.push({ path: [section, i, 'cadence', 'environment'], message: `unknown environment '${env}'` });
      }
      for (const p of windowProblems(cadenceAsWindow(item.key, item.cadence))) {
        const written = (item.cadence as Record<string, unknown>)[p.field] !== undefined;
        problems.push({ path: written ? [section, i, 'cadence', p.field] : [section, i, 'cadence'], message: p.message });
      }
    });
  }
  return problems;
}
