import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { railyardAsync } from '../support/cli.js';
import { DIALECTS, freshDatabaseUrl } from '../support/databases.js';

const runCli = (args: string[]) => railyardAsync(args, { cwd: tmpdir() });

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
