import { describe, expect, it } from 'vitest';
import { AppError, formatDetail } from '../../platform/errors.js';
import { parseConfig } from './config-document.js';
import { normalize, planChanges } from './config-plan.js';
import { STARTER_CONFIG } from './starter.js';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'railyard.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).details.map(formatDetail);
  }
  throw new Error('expected the config to be rejected');
}

describe('railyard.yaml validation', () => {
  it('accepts the starter file that `railyard init` writes', () => {
    const config = parseConfig(STARTER_CONFIG, 'railyard.yaml');
    expect(config.products?.map((p) => p.key)).toEqual(['api', 'web']);
  });

  it('names file, line, column and field of a bad enum value', () => {
    const text = ['environments:', '  - key: dev', '    tier: dev', '  - key: qa', '    tier: qa', ''].join('\n');
    expect(problems(text)).toEqual(['railyard.yaml:5:11 environments[1].tier: expected one of dev|test|staging|prod, got string "qa"']);
  });

  it('suggests the field that was meant for an unknown one', () => {
    const text = ['environments:', '  - key: dev', '    teir: dev', ''].join('\n');
    expect(problems(text)).toEqual([
      "railyard.yaml:2:5 environments[0]: missing required field 'tier'",
      "railyard.yaml:3:5 environments[0].teir: unknown field 'teir' (did you mean 'tier'?)",
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('products:\n  - key: [shop\n')).toEqual([
      'railyard.yaml:3:1 Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('rejects duplicate keys in a mapping', () => {
    expect(problems('products:\n  - key: a\n    key: b\n')).toEqual(['railyard.yaml:3:5 Map keys must be unique']);
  });

  it('rejects references to undeclared environments, tracks and products', () => {
    const text = [
      'environments:',
      '  - { key: dev, tier: dev }',
      'tracks:',
      '  - { key: default, environments: [dev, prod] }',
      'products:',
      '  - key: web',
      '    track: fast',
      '    dependsOn:',
      '      - { product: api, range: "^1" }',
      'trains:',
      '  - { key: monthly, products: [web, mobile] }',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      "railyard.yaml:4:41 tracks[0].environments[1]: unknown environment 'prod' (declared: dev)",
      "railyard.yaml:7:12 products[0].track: unknown track 'fast' (declared: default)",
      "railyard.yaml:9:20 products[0].dependsOn[0].product: unknown product 'api' (declared: web)",
      "railyard.yaml:11:37 trains[0].products[1]: unknown product 'mobile' (declared: web)",
    ]);
  });

  it('rejects a dependency cycle and shows it', () => {
    const text = [
      'products:',
      '  - key: a',
      '    dependsOn: [{ product: b, range: "*" }]',
      '  - key: b',
      '    dependsOn: [{ product: c, range: "*" }]',
      '  - key: c',
      '    dependsOn: [{ product: a, range: "*" }]',
      '',
    ].join('\n');
    expect(problems(text)).toEqual(['railyard.yaml:3:28 products[0].dependsOn[0].product: dependency cycle: a → b → c → a']);
  });

  it('checks time zones, tag formats, ranges and duplicate keys', () => {
    const text = [
      'environments:',
      '  - { key: prod, tier: prod, timezone: Mars/Olympus }',
      '  - { key: prod, tier: prod }',
      'products:',
      '  - key: a',
      '    tagFormat: release',
      '  - key: b',
      '    dependsOn: [{ product: a, range: latest }]',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      "railyard.yaml:2:40 environments[0].timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)",
      "railyard.yaml:3:12 environments[1].key: duplicate key 'prod' (also environments[0])",
      'railyard.yaml:6:16 products[0].tagFormat: must contain {version} exactly once',
      "railyard.yaml:8:38 products[1].dependsOn[0].range: 'latest' is not a valid semver range",
    ]);
  });

  it('reports every schema problem of the file, not only the first few', () => {
    const text = ['environments:', ...Array.from({ length: 12 }, (_, i) => `  - { key: e${i}, tier: qa }`), ''].join('\n');
    expect(problems(text)).toHaveLength(12);
  });

  it('treats an empty file as an empty portfolio', () => {
    expect(parseConfig('', 'railyard.yaml')).toEqual({});
  });
});

describe('apply plan', () => {
  const stored = (text: string) => {
    const d = normalize(parseConfig(text, 'f.yaml'));
    return {
      plan: [],
      environment: d.environments.map((s) => ({
        key: s.key,
        spec: JSON.stringify(Object.fromEntries(Object.entries(s).sort())),
        archived: false,
      })),
      track: [],
      product: [],
      train: [],
      gate: [],
      review: [],
      risk: [],
      window: [],
    };
  };

  it('creates what is new, updates what changed, deletes what is gone, and leaves the rest', () => {
    const before = stored('environments:\n  - { key: dev, tier: dev }\n  - { key: old, tier: test }\n  - { key: prod, tier: prod }\n');
    const after = normalize(
      parseConfig('environments:\n  - { key: dev, tier: dev }\n  - { key: prod, tier: staging }\n  - { key: qa, tier: test }\n', 'f.yaml'),
    );
    // prod also moved from position 2 to 1, so it differs in two fields.
    const plan = planChanges(after, before);
    expect(plan).toMatchObject({ created: 1, updated: 1, deleted: 1, unchanged: 1 });
    expect(plan.items.find((i) => i.key === 'prod')?.changes).toEqual([
      { field: 'position', from: 2, to: 1 },
      { field: 'protected', from: true, to: false },
      { field: 'tier', from: 'prod', to: 'staging' },
    ]);
  });
});
