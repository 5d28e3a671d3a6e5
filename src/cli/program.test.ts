import { describe, expect, it } from 'vitest';
import type { Program } from './context.js';
import { COMMAND_MODULES, createProgram, registrationsFor, routeOf } from './program.js';

const options = createProgram('0.0.0').options;
const route = (line: string) => routeOf(line === '' ? [] : line.split(' '), options);

describe('the command table', () => {
  it('names exactly the commands each module registers, in the order help lists them', async () => {
    for (const module of COMMAND_MODULES) {
      const program = createProgram('0.0.0');
      (await module.load('0.0.0'))(program as unknown as Program);
      expect(program.commands.map((c) => c.name())).toEqual(module.words);
    }
  });

  it('loads every module for a full registration, and only the named one for a command', async () => {
    expect(await registrationsFor({ kind: 'all' }, '0.0.0')).toHaveLength(COMMAND_MODULES.length);
    expect(await registrationsFor({ kind: 'command', word: 'notes' }, '0.0.0')).toHaveLength(1);
    expect(await registrationsFor({ kind: 'version' }, '0.0.0')).toEqual([]);
  });
});

describe('routeOf', () => {
  it('finds the command after the global options and their values', () => {
    expect(route('version')).toEqual({ kind: 'command', word: 'version' });
    expect(route('--json notes --from v1.0.0')).toEqual({ kind: 'command', word: 'notes' });
    expect(route('--db x.db --as me releases list')).toEqual({ kind: 'command', word: 'releases' });
    expect(route('--db=x.db release cut web')).toEqual({ kind: 'command', word: 'release' });
    expect(route('-V changelog')).toEqual({ kind: 'command', word: 'changelog' });
  });

  it('needs no command for a bare --version', () => {
    expect(route('-V')).toEqual({ kind: 'version' });
    expect(route('--json --version')).toEqual({ kind: 'version' });
  });

  it('registers everything when commander might answer with the whole program', () => {
    for (const line of [
      '',
      '--help',
      '-h version',
      'help version',
      '--json',
      'bogus',
      'versio',
      '--bogus version',
      '-- version',
      '--json=yes version',
      '-Vh',
      '--db version',
    ]) {
      expect(route(line), line).toEqual({ kind: 'all' });
    }
  });
});
