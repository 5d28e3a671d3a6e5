import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import { jsonSchemaDocument } from '../config/config-schema.js';
import { loadVersioningSettings } from './versioning-config-loader.js';

describe('the versioning section of railyard.yaml', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-vcfg-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = async (yaml: string) => {
    writeFileSync(join(dir, 'railyard.yaml'), yaml);
    return loadVersioningSettings(undefined, dir);
  };
  const problems = async (yaml: string) => {
    const error = await load(yaml).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).details.map((d) => `${d.line}:${d.column} ${d.path}: ${d.message}`);
  };

  it('is optional: without a file the defaults apply, and an explicit --config must exist', async () => {
    const none = await loadVersioningSettings(undefined, dir);
    expect(none).toMatchObject({
      file: null,
      products: [],
      config: { initialVersion: '1.0.0', entry: '{scope}{subject}{pr}{commit}{issues}' },
    });
    await expect(loadVersioningSettings(join(dir, 'missing.yaml'))).rejects.toThrow('missing.yaml: no such file');
  });

  it('reads settings and products with their defaults', async () => {
    const s = await load(
      [
        'products:',
        '  - { key: web, path: apps/web, tagFormat: "{name}@{version}" }',
        '  - { key: api }',
        'versioning:',
        '  initialVersion: 0.1.0',
        '  bump: { preMajorBreaking: major }',
        '  notes:',
        '    sections: [{ title: Fixed, types: [fix] }]',
        '',
      ].join('\n'),
    );
    expect(s.products).toEqual([
      { key: 'web', path: 'apps/web', tagFormat: '{name}@{version}' },
      { key: 'api', path: null, tagFormat: 'v{version}' },
    ]);
    expect(s.config).toMatchObject({
      initialVersion: '0.1.0',
      preMajorBreaking: 'major',
      sections: [{ title: 'Fixed', types: ['fix'], hidden: false }],
    });
  });

  it('reports mistakes at their line and column', async () => {
    expect(await problems('versioning:\n  bump:\n    preMajorBreaking: huge\n  notse: {}\n')).toEqual([
      '3:23 versioning.bump.preMajorBreaking: expected one of minor|major, got string "huge"',
      "4:3 versioning.notse: unknown field 'notse' (did you mean 'notes'?)",
    ]);
    expect(
      await problems(
        'versioning:\n  notes:\n    entry: "{subject} {sha}"\n    sections:\n      - { title: A, types: [feat] }\n      - { title: B, types: [feat] }\n',
      ),
    ).toEqual([
      '3:12 versioning.notes.entry: unknown placeholder {sha} (use {scope}, {subject}, {pr}, {commit}, {issues}, {hash}, {short}, {type}, {authors})',
      "6:29 versioning.notes.sections[1].types[0]: type 'feat' is already in sections[0]",
    ]);
  });

  it('is part of the published JSON Schema', () => {
    const schema = jsonSchemaDocument() as { properties: Record<string, { properties?: Record<string, unknown> }> };
    expect(Object.keys(schema.properties.versioning?.properties ?? {})).toEqual(['initialVersion', 'bump', 'notes']);
  });
});
