import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceRealReports, type RealReports } from '../fixtures/gates/reports.js';
import { type RunningServer, railyard, startServer } from '../support/cli.js';

// The acceptance example of issue 5, exactly as written there.
const ACCEPTANCE = `environments:
  - key: prod
    tier: prod
    approvals: { min: 2, distinctFrom: [author] }
products:
  - key: shop
gates:
  - environment: prod
    checks:
      - name: tests-green
        cel: "tests.total > 0 && tests.failed == 0"
      - name: no-scan-errors
        cel: "sarif.error == 0"
      - name: approved
        builtin: approvals
`;

describe('gates through the built CLI: the acceptance example', () => {
  let dir: string;
  let reports: RealReports;
  let server: RunningServer | undefined;
  const run = (...args: string[]) => railyard(args, { cwd: dir });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-gates-'));
    reports = produceRealReports();
    writeFileSync(join(dir, 'railyard.yaml'), ACCEPTANCE);
    // A passing JUnit report written by node's test runner, and a clean SARIF log written by Biome.
    copyFileSync(reports.nodeJunit, join(dir, 'report.xml'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(reports.dir, { recursive: true, force: true });
  });

  it('ingests evidence, blocks with exit 3 and explains every check', () => {
    expect(run('apply', '-f', 'railyard.yaml').code).toBe(0);
    expect(run('releases', 'create', 'shop', '1.0.0', '--as', 'alice').code).toBe(0);
    const before = run('gate', 'check', 'shop@1.0.0', '--env', 'prod', '--json');
    expect(before.code).toBe(3);
    expect(JSON.parse(before.stdout)).toMatchObject({
      passed: false,
      checks: [
        { name: 'tests-green', status: 'unknown', explanation: expect.stringContaining('no junit evidence'), values: {} },
        { name: 'no-scan-errors', status: 'unknown' },
        { name: 'approved', status: 'fail', explanation: '0 of 2 approvals' },
      ],
    });
    expect(run('evidence', 'add', 'shop@1.0.0', '--kind', 'junit', 'report.xml')).toMatchObject({ code: 0 });
    copyFileSync(reports.biomeSarif, join(dir, 'scan.sarif'));
    expect(run('evidence', 'add', 'shop@1.0.0', '--kind', 'sarif', 'scan.sarif')).toMatchObject({ code: 0 });
    const r = run('gate', 'check', 'shop@1.0.0', '--env', 'prod', '--json');
    expect(r.code).toBe(3);
    const result = JSON.parse(r.stdout);
    expect(result.checks.map((c: { status: string }) => c.status)).toEqual(['pass', 'fail', 'fail']);
    for (const c of result.checks) expect(Object.keys(c).sort()).toEqual(['explanation', 'name', 'status', 'values']);
  });

  it('refuses the author’s approval naming the rule (exit 3), and passes once two others approve and the scan is clean', () => {
    const self = run('approve', 'shop@1.0.0', '--env', 'prod', '--as', 'alice');
    expect(self.code).toBe(3);
    expect(self.stderr).toContain('rule environments[prod].approvals.distinctFrom: author');
    expect(run('approve', 'shop@1.0.0', '--env', 'prod', '--as', 'bob').code).toBe(0);
    expect(run('approve', 'shop@1.0.0', '--env', 'prod', '--as', 'carol').code).toBe(0);
    writeFileSync(
      join(dir, 'clean.sarif'),
      JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'Biome' } }, results: [] }] }),
    );
    expect(run('evidence', 'add', 'shop@1.0.0', '--kind', 'sarif', 'clean.sarif').stdout).toContain('replaced');
    const r = run('gate', 'check', 'shop@1.0.0', '--env', 'prod');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('shop@1.0.0 may enter prod: all 3 checks pass');
  });

  it('works the same against a server (--server), including separation of duties', async () => {
    server = await startServer(['--db', join(dir, 'railyard.db')], dir);
    const remote = (...args: string[]) => run('--server', server?.url ?? '', ...args);
    const self = remote('approve', 'shop@1.0.0', '--env', 'prod', '--as', 'alice');
    expect(self.code).toBe(3);
    expect(self.stderr).toContain('distinctFrom: author');
    expect(remote('evidence', 'add', 'shop@1.0.0', '--kind', 'junit', '--source', 'remote', 'report.xml').code).toBe(0);
    const local = JSON.parse(run('gate', 'check', 'shop@1.0.0', '--env', 'prod', '--json').stdout);
    const viaServer = remote('gate', 'check', 'shop@1.0.0', '--env', 'prod', '--json');
    expect(viaServer.code).toBe(0);
    expect(JSON.parse(viaServer.stdout)).toEqual(local);
    const bad = remote('evidence', 'add', 'shop@1.0.0', '--kind', 'junit', 'railyard.yaml');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/railyard\.yaml: malformed JUnit XML at line 1/);
  });
});

describe('reviews and risk through the built CLI, locally and with --server', () => {
  let dir: string;
  let server: RunningServer | undefined;
  const run = (...args: string[]) => railyard(args, { cwd: dir });
  const CONFIG = `environments:
  - { key: prod, tier: prod }
products:
  - key: shop
gates:
  - environment: prod
    checks:
      - name: go
        builtin: review
      - name: no-blockers
        builtin: risks
reviews:
  - kind: go-no-go
    checklist: [QA sign-off]
    roles: [qa]
risk:
  weights: { freeze: 10 }
`;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-reviews-'));
    writeFileSync(join(dir, 'railyard.yaml'), CONFIG);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a no-go decision blocks the gate (exit 3); votes replace; the report assembles it all', () => {
    expect(run('apply', '-f', 'railyard.yaml').code).toBe(0);
    expect(run('releases', 'create', 'shop', '1.0.0', '--as', 'alice').code).toBe(0);
    expect(run('review', 'open', 'shop@1.0.0', '--kind', 'go-no-go', '--as', 'rm').code).toBe(0);
    expect(run('review', 'tick', 'shop@1.0.0', 'QA', '--as', 'quinn').code).toBe(0);
    expect(run('review', 'vote', 'shop@1.0.0', 'go', '--role', 'qa', '--as', 'quinn').code).toBe(0);
    expect(run('review', 'vote', 'shop@1.0.0', 'no-go', '--role', 'qa', '--comment', 'p95 too high', '--as', 'quinn').code).toBe(0);
    expect(run('review', 'vote', 'shop@1.0.0', 'maybe', '--as', 'quinn').code).toBe(2);
    const shown = JSON.parse(run('review', 'show', 'shop@1.0.0', '--json').stdout);
    expect(shown.votes).toEqual([expect.objectContaining({ voter: 'quinn', vote: 'no-go', comment: 'p95 too high' })]);
    const decided = run('review', 'decide', 'shop@1.0.0', '--minutes', 'Retry next week', '--as', 'rm');
    expect(decided.code).toBe(3);
    expect(decided.stdout).toContain('decided no-go');
    const gate = run('gate', 'check', 'shop@1.0.0', '--env', 'prod', '--json');
    expect(gate.code).toBe(3);
    expect(JSON.parse(gate.stdout).checks[0]).toMatchObject({ name: 'go', status: 'fail', explanation: 'go-no-go review decided no-go' });
    const md = run('report', 'shop@1.0.0');
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# Readiness report: shop@1.0.0/);
    expect(md.stdout).toContain('| quinn | qa | no-go | p95 too high |');
    expect(JSON.parse(run('report', 'shop@1.0.0', '--format', 'json').stdout)).toMatchObject({ reviews: [{ decision: 'no-go' }] });
  });

  it('risk: score with factors, a blocker fails the gate until closed, and --server prints the same', async () => {
    const added = run(
      'risk',
      'add',
      'shop@1.0.0',
      '--title',
      'Schema migration',
      '--likelihood',
      '3',
      '--impact',
      '4',
      '--blocker',
      '--json',
    );
    expect(added.code).toBe(0);
    const id = JSON.parse(added.stdout).id;
    expect(run('risk', 'add', 'shop@1.0.0', '--title', 'x', '--likelihood', '9', '--impact', '1').code).toBe(2);
    const gate = JSON.parse(run('gate', 'check', 'shop@1.0.0', '--env', 'prod', '--json').stdout);
    expect(gate.checks[1]).toMatchObject({ status: 'fail', explanation: '1 open blocker risk(s): Schema migration' });
    const risk = JSON.parse(run('risk', 'shop@1.0.0', '--json').stdout);
    expect(risk).toMatchObject({ release: 'shop@1.0.0', score: expect.any(Number), register: [{ id, severity: 12, blocker: true }] });
    expect(risk.factors.find((f: { key: string }) => f.key === 'freeze')).toMatchObject({ weight: 10 });
    expect(run('risk', 'shop@1.0.0').stdout).toMatch(/shop@1.0.0: risk \d+\/100/);
    server = await startServer(['--db', join(dir, 'railyard.db')], dir);
    const remote = (...args: string[]) => run('--server', server?.url ?? '', ...args);
    expect(JSON.parse(remote('risk', 'shop@1.0.0', '--json').stdout)).toEqual(risk);
    expect(remote('risk', 'close', 'shop@1.0.0', id, '--as', 'olga').code).toBe(0);
    const after = JSON.parse(remote('gate', 'check', 'shop@1.0.0', '--env', 'prod', '--json').stdout);
    expect(after.checks[1]).toMatchObject({ status: 'pass' });
    expect(remote('review', 'open', 'shop@1.0.0', '--as', 'rm').code).toBe(0);
    expect(remote('review', 'tick', 'shop@1.0.0', '1').code).toBe(0);
    expect(remote('review', 'vote', 'shop@1.0.0', 'go', '--role', 'qa', '--as', 'quinn').code).toBe(0);
    expect(remote('review', 'decide', 'shop@1.0.0', '--as', 'rm').code).toBe(0);
    expect(remote('gate', 'check', 'shop@1.0.0', '--env', 'prod').code).toBe(0);
    expect(JSON.parse(remote('report', 'shop@1.0.0', '--json').stdout)).toEqual(
      expect.objectContaining({
        risks: [expect.objectContaining({ status: 'closed' })],
        reviews: [expect.objectContaining({ decision: 'go' })],
      }),
    );
  });
});
