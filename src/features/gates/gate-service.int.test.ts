import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { fixedClock } from '../../platform/clock.js';
import { buildServer } from '../../platform/http/server.js';

const CONFIG = `
environments:
  - { key: staging, tier: staging }
  - key: prod
    tier: prod
    approvals: { min: 2, distinctFrom: [author, committers, promoter], expires: 72h }
tracks:
  - { key: default, environments: [staging, prod] }
products:
  - { key: api, track: default }
  - key: shop
    track: default
    dependsOn: [{ product: api, range: ">=2 <3" }]
gates:
  - environment: prod
    checks:
      - name: tests-green
        cel: "tests.total > 0 && tests.failed == 0"
      - name: coverage
        cel: "coverage.lines >= 80"
      - name: no-scan-errors
        cel: "sarif.error == 0"
      - name: approved
        builtin: approvals
      - name: soaked
        builtin: soak
        min: 24h
      - name: deps
        builtin: dependencies
      - name: no-blockers
        builtin: risks
      - name: calendar
        builtin: window
      - name: breaking-needs-two
        cel: "release.changes.exists(c, c.breaking) ? approvals.count >= 2 : true"
`;

const junit = (failed: number) =>
  Readable.from([
    `<testsuite>${'<testcase name="ok"/>'.repeat(3)}${'<testcase name="bad"><failure/></testcase>'.repeat(failed)}</testsuite>`,
  ]);

describe.each(DIALECTS)('gates and approvals (%s)', (dialect) => {
  let t: TestDb;
  const clock = fixedClock(new Date('2026-11-20T10:00:00.000Z'));
  beforeAll(async () => {
    t = await openTestDb(dialect, clock);
    await t.services.config.apply(CONFIG, 'railyard.yaml', { dryRun: false }, 'admin');
    await t.services.releases.create({ product: 'shop', version: '1.0.0', author: 'alice' }, 'alice');
    await t.services.releases.create({ product: 'api', version: '2.1.0' }, 'ann');
    await t.services.releases.addChanges('shop@1.0.0', [{ kind: 'commit', type: 'feat', ref: 'abc', title: 'cart', author: 'cody' }], 'ci');
  });
  afterAll(() => t.close());

  const check = (actor = 'pat') => t.services.gates.check('shop@1.0.0', 'prod', actor);
  const status = (r: Awaited<ReturnType<typeof check>>) => Object.fromEntries(r.checks.map((c) => [c.name, c.status]));

  it('reports missing evidence as unknown (fail closed), and every check with an explanation', async () => {
    const r = await check();
    expect(r.passed).toBe(false);
    expect(status(r)).toEqual({
      'tests-green': 'unknown',
      coverage: 'unknown',
      'no-scan-errors': 'unknown',
      approved: 'fail',
      soaked: 'fail',
      deps: 'fail',
      'no-blockers': 'pass',
      calendar: 'pass',
      'breaking-needs-two': 'pass',
    });
    const tests = r.checks.find((c) => c.name === 'tests-green');
    expect(tests).toMatchObject({
      explanation: 'unknown: no junit evidence for shop@1.0.0 (tests is not known)',
      values: { 'tests.total': null },
    });
    // No window is declared, so the calendar allows it.
    expect(r.checks.find((c) => c.name === 'calendar')?.explanation).toMatch(/no window closes prod now/);
    expect(r.checks.find((c) => c.name === 'deps')?.explanation).toBe('not satisfied: api >=2 <3: not in prod');
  });

  it('a missing field is unknown, not a crash; a failing value fails with its value', async () => {
    await t.services.evidence.add({ release: 'shop@1.0.0', kind: 'junit', content: junit(1) }, 'ci');
    await t.services.evidence.add(
      { release: 'shop@1.0.0', kind: 'cobertura', content: Readable.from(['<coverage branch-rate="0.9"/>']) },
      'ci',
    );
    const r = await check();
    expect(r.checks.find((c) => c.name === 'tests-green')).toMatchObject({
      status: 'fail',
      values: { 'tests.total': 4, 'tests.failed': 1 },
    });
    expect(r.checks.find((c) => c.name === 'coverage')).toMatchObject({
      status: 'unknown',
      explanation: 'unknown: coverage.lines is not in the evidence for shop@1.0.0',
    });
  });

  it('refuses self-approval naming the rule, counts others, and voids approvals when the scope changes', async () => {
    await expect(t.services.approvals.approve({ release: 'shop@1.0.0', environment: 'prod' }, 'alice')).rejects.toMatchObject({
      code: 'blocked',
      message:
        'alice cannot approve shop@1.0.0 for prod: rule environments[prod].approvals.distinctFrom: author (separation of duties): alice is the author of shop@1.0.0',
    });
    await expect(t.services.approvals.approve({ release: 'shop@1.0.0', environment: 'prod' }, 'cody')).rejects.toThrow(
      /distinctFrom: committers/,
    );
    await expect(t.services.approvals.approve({ release: 'shop@9.0.0', environment: 'prod' }, 'bob')).rejects.toMatchObject({
      code: 'not_found',
    });
    await t.services.approvals.approve({ release: 'shop@1.0.0', environment: 'prod' }, 'bob');
    const s = await t.services.approvals.approve({ release: 'shop@1.0.0', environment: 'prod', comment: 'ok' }, 'carol');
    expect(s).toMatchObject({ satisfied: true, count: 2, approvers: ['bob', 'carol'] });
    // The promoter's own approval does not count towards their promotion.
    expect((await check('carol')).checks.find((c) => c.name === 'approved')).toMatchObject({ status: 'fail' });
    expect((await check('pat')).checks.find((c) => c.name === 'approved')).toMatchObject({ status: 'pass' });

    await t.services.releases.addChanges(
      'shop@1.0.0',
      [{ kind: 'commit', type: 'fix', ref: 'def', title: 'late fix', author: 'dan', breaking: true }],
      'dan',
    );
    const after = await t.services.approvals.status('shop@1.0.0', 'prod');
    expect(after).toMatchObject({ satisfied: false, count: 0 });
    expect(after.approvals.map((a) => a.reason)).toEqual([
      'void: the release scope changed after this approval',
      'void: the release scope changed after this approval',
    ]);
    expect(status(await check())['breaking-needs-two']).toBe('fail');
    const events = await t.services.audit.list({ limit: 20, actor: 'carol' });
    expect(events[0]).toMatchObject({ action: 'approval.granted' });
  });

  it('approvals expire; soak and dependencies come from deployments', async () => {
    await t.services.approvals.approve({ release: 'shop@1.0.0', environment: 'prod' }, 'bob');
    await t.services.approvals.approve({ release: 'shop@1.0.0', environment: 'prod' }, 'carol');
    await t.services.deployments.record({ release: 'shop@1.0.0', environment: 'staging', status: 'succeeded' }, 'ci');
    await t.services.deployments.record({ release: 'api@2.1.0', environment: 'prod', status: 'succeeded' }, 'ci');
    clock.set(new Date('2026-11-21T09:00:00.000Z'));
    let r = await check();
    expect(r.checks.find((c) => c.name === 'soaked')).toMatchObject({ status: 'fail', explanation: '23 h in staging, less than 24 h' });
    expect(status(r)).toMatchObject({ approved: 'pass', deps: 'pass' });
    clock.set(new Date('2026-11-24T10:00:00.000Z'));
    r = await check();
    expect(status(r)).toMatchObject({ soaked: 'pass', approved: 'fail' });
    expect(r.checks.find((c) => c.name === 'approved')?.explanation).toMatch(/expired: approvals count for 72h/);
  });

  it('enforces separation of duties over the API too', async () => {
    const app = await buildServer(t.services, { webRoot: '/nonexistent' });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/releases/shop@1.0.0/approvals/prod',
        payload: {},
        headers: { 'railyard-actor': 'alice' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'blocked', message: expect.stringContaining('distinctFrom: author') });
      const gate = await app.inject({ method: 'GET', url: '/api/v1/releases/shop@1.0.0/gates/prod' });
      expect(gate.statusCode).toBe(200);
      expect(gate.json()).toMatchObject({ passed: false, checks: expect.any(Array) });
    } finally {
      await app.close();
    }
  });

  it('rejects CEL syntax errors at apply time with the position in the file and in the expression', async () => {
    const bad = `${CONFIG.replace('"sarif.error == 0"', '"sarif.error == "')}`;
    await expect(t.services.config.apply(bad, 'railyard.yaml', { dryRun: true }, 'admin')).rejects.toMatchObject({
      code: 'config_invalid',
      details: [
        {
          file: 'railyard.yaml',
          line: 22,
          column: 14,
          path: 'gates[0].checks[2].cel',
          message: 'CEL syntax error at column 16 of the expression: Unexpected token: EOF',
        },
      ],
    });
  });
});
