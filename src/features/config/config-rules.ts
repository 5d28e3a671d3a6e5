import type { FieldProblem } from '../../platform/validation.js';
import { calendarProblems } from '../calendar/window-rules.js';
import { isValidTimezone } from '../environments/environment.js';
import { gateProblems } from '../gates/gate-rules.js';
import { planProblems } from '../plans/plan-rules.js';
import { findDependencyCycle, rangeProblem } from '../products/dependency.js';
import { tagFormatProblem } from '../products/product.js';
import type { ConfigFile } from './config-schema.js';

/**
 * Rules a schema cannot express: unique keys, references to things declared elsewhere in the file, no
 * dependency cycles, valid time zones, tag formats and semver ranges.
 */
export function semanticProblems(config: ConfigFile): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const products = config.products ?? [];
  const environments = config.environments ?? [];
  const tracks = config.tracks ?? [];
  const trains = config.trains ?? [];

  const keysOf = (section: string, items: { key: string }[]) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const earlier = first.get(item.key);
      if (earlier === undefined) first.set(item.key, i);
      else problems.push({ path: [section, i, 'key'], message: `duplicate key '${item.key}' (also ${section}[${earlier}])` });
    });
    return new Set(first.keys());
  };
  const productKeys = keysOf('products', products);
  const envKeys = keysOf('environments', environments);
  const trackKeys = keysOf('tracks', tracks);
  keysOf('trains', trains);

  const unknown = (what: string, key: string, known: Set<string>) =>
    `unknown ${what} '${key}'${known.size ? ` (declared: ${[...known].join(', ')})` : ` (no ${what}s are declared)`}`;

  environments.forEach((env, i) => {
    if (env.timezone && !isValidTimezone(env.timezone)) {
      problems.push({
        path: ['environments', i, 'timezone'],
        message: `unknown time zone '${env.timezone}' (use an IANA name such as Europe/Berlin)`,
      });
    }
  });

  tracks.forEach((track, i) => {
    const seen = new Set<string>();
    track.environments.forEach((env, j) => {
      if (!envKeys.has(env)) problems.push({ path: ['tracks', i, 'environments', j], message: unknown('environment', env, envKeys) });
      if (seen.has(env)) problems.push({ path: ['tracks', i, 'environments', j], message: `environment '${env}' is listed twice` });
      seen.add(env);
    });
  });

  const graph = new Map<string, string[]>();
  products.forEach((p, i) => {
    if (p.tagFormat) {
      const problem = tagFormatProblem(p.tagFormat);
      if (problem) problems.push({ path: ['products', i, 'tagFormat'], message: problem });
    }
    if (p.track && !trackKeys.has(p.track))
      problems.push({ path: ['products', i, 'track'], message: unknown('track', p.track, trackKeys) });
    (p.dependsOn ?? []).forEach((d, j) => {
      if (!productKeys.has(d.product)) {
        problems.push({ path: ['products', i, 'dependsOn', j, 'product'], message: unknown('product', d.product, productKeys) });
      } else if (d.product === p.key) {
        problems.push({ path: ['products', i, 'dependsOn', j, 'product'], message: 'a product cannot depend on itself' });
      }
      const rp = rangeProblem(d.range);
      if (rp) problems.push({ path: ['products', i, 'dependsOn', j, 'range'], message: rp });
    });
    graph.set(
      p.key,
      (p.dependsOn ?? []).map((d) => d.product).filter((k) => k !== p.key && productKeys.has(k)),
    );
  });
  const cycle = findDependencyCycle(graph);
  if (cycle) {
    const start = products.findIndex((p) => p.key === cycle[0]);
    const dep = products[start]?.dependsOn?.findIndex((d) => d.product === cycle[1]) ?? 0;
    problems.push({ path: ['products', start, 'dependsOn', dep, 'product'], message: `dependency cycle: ${cycle.join(' → ')}` });
  }

  trains.forEach((train, i) => {
    train.products.forEach((p, j) => {
      if (!productKeys.has(p)) problems.push({ path: ['trains', i, 'products', j], message: unknown('product', p, productKeys) });
    });
  });
  problems.push(...gateProblems(config));
  problems.push(...calendarProblems(config));
  problems.push(...planProblems(config));
  return problems;
}
