import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';
import { DIALECTS, freshDatabaseUrl } from '../support/databases.js';

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe.each(DIALECTS)('several processes starting on one new database (%s)', (dialect) => {
  it('migrate it exactly once, and all of them work', async () => {
    const { url, drop } = await freshDatabaseUrl(dialect);
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => runCli(['--db', url, 'audit', 'verify', '--json'])));
      for (const r of results) {
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, events: 0 });
      }
      const listed = await runCli(['--db', url, 'releases', 'list', '--json']);
      expect(JSON.parse(listed.stdout)).toEqual({ items: [], nextCursor: null });
    } finally {
      await drop();
    }
  });
});
