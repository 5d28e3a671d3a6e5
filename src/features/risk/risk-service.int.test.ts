import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { fixedClock } from '../../platform/clock.js';
import { buildServer } from '../../platform/http/server.js';

const CONFIG = `
environments:
  - { key: prod, tier: prod }
products:
  - key: shop
gates:
  - environment: prod
    checks:
      - name: no-blockers
        builtin: risks
risk:
  weights: { staleness: 0 }
`;

describe.each(DIALECTS)('risk (%s)', (dialect) => {
  let t: TestDb;
  const clock = fixedClock(new Date('2026-11-20T10:00:00.000Z'));
  beforeAll(async () => {
    t = await openTestDb(dialect, clock);
    await t.services.config.apply(CONFIG, 'railyard.yaml', { dryRun: false }, 'admin');
    await t.services.releases.create({ product: 'shop', version: '1.0.0' }, 'alice');
    await t.services.deployments.record({ release: 'shop@1.0.0', environment: 'prod', status: 'failed' }, 'ci');
    await t.services.deployments.record({ release: 'shop@1.0.0', environment: 'prod', status: 'succeeded' }, 'ci');
    await t.services.releases.create({ product: 'shop', version: '1.1.0' }, 'alice');
    await t.services.releases.addChanges(
      'shop@1.1.0',
      [
        { kind: 'commit', type: 'feat', ref: 'a', title: 'new checkout', breaking: true },
        { kind: 'dependency', type: 'deps', ref: 'b', title: 'bump react' },
      ],
      'ci',
    );
  });
  afterAll(() => t.close());
  const gate = async () => (await t.services.gates.check('shop@1.1.0', 'prod', 'pat')).checks[0];

  it('scores with explained factors and the configured weights', async () => {
    const r = await t.services.risk.show('shop@1.1.0');
    const by = Object.fromEntries(r.factors.map((f) => [f.key, f]));
    expect(by.size).toMatchObject({ value: 0.04, explanation: '2 changes in scope (50 or more is the most)' });
    expect(by.breaking).toMatchObject({ value: 0.5, explanation: '1 breaking change' });
    expect(by.dependencies).toMatchObject({ value: 0.2, explanation: '1 dependency change' });
    expect(by.history?.explanation).toBe('1 of 2 deployments of shop in the last 90 days failed or were rolled back');
    expect(by.evidence?.value).toBe(1);
    expect(by.freeze?.explanation).toBe('no freeze within 14 days');
    expect(by.staleness).toMatchObject({ weight: 0, points: 0 });
    expect(r.score).toBeGreaterThan(0);
    expect(r.register).toEqual([]);
    const all = await t.services.risk.scoreAll();
    expect(all.map((a) => a.release).sort()).toEqual(['shop@1.0.0', 'shop@1.1.0']);
  });

  it('keeps a register; an open blocker fails the risks built-in until closed, each change audited', async () => {
    await expect(t.services.risk.add('shop@1.1.0', { title: 'x', likelihood: 6, impact: 1 }, 'rm')).rejects.toMatchObject({
      code: 'bad_request',
      message: 'likelihood: expected a whole number from 1 to 5, got 6',
    });
    const k = await t.services.risk.add(
      'shop@1.1.0',
      { title: 'Payment provider migration', likelihood: 3, impact: 5, owner: 'olga', blocker: true },
      'rm',
    );
    expect(k).toMatchObject({ severity: 15, status: 'open', blocker: true });
    expect(await gate()).toMatchObject({ status: 'fail', explanation: '1 open blocker risk(s): Payment provider migration' });
    const u = await t.services.risk.update('shop@1.1.0', k.id, { mitigation: 'feature flag', likelihood: 2 }, 'olga');
    expect(u).toMatchObject({ severity: 10, mitigation: 'feature flag', blocker: true });
    await t.services.risk.update('shop@1.1.0', k.id, { status: 'closed' }, 'olga');
    expect(await gate()).toMatchObject({ status: 'pass' });
    await expect(t.services.risk.update('shop@1.0.0', k.id, { status: 'closed' }, 'olga')).rejects.toMatchObject({ code: 'not_found' });
    const events = await t.services.audit.list({ limit: 5, subjectType: 'risk_entry' });
    expect(events.map((e) => e.action)).toEqual(['risk.closed', 'risk.updated', 'risk.added']);
    expect((await t.services.risk.show('shop@1.1.0')).register).toMatchObject([{ status: 'closed' }]);
    const report = await t.services.reports.report('shop@1.1.0', 'pat');
    expect(report.risk).toMatchObject({ release: 'shop@1.1.0', score: expect.any(Number) });
    expect(report.risks).toHaveLength(1);
  });

  it('offers the same over HTTP', async () => {
    const app = await buildServer(t.services, { webRoot: '/nonexistent' });
    try {
      const base = '/api/v1/releases/shop@1.1.0';
      let res = await app.inject({
        method: 'POST',
        url: `${base}/risks`,
        payload: { title: 'DB', likelihood: 2, impact: 2, blocker: true },
      });
      expect(res.statusCode).toBe(200);
      const id = res.json().id;
      res = await app.inject({ method: 'POST', url: `${base}/risks`, payload: { title: 'DB', likelihood: 0, impact: 2 } });
      expect(res.statusCode).toBe(400);
      res = await app.inject({ method: 'POST', url: `${base}/risks/${id}`, payload: { status: 'closed' } });
      expect(res.json()).toMatchObject({ status: 'closed' });
      res = await app.inject({ method: 'GET', url: `${base}/risk` });
      expect(res.json()).toMatchObject({ release: 'shop@1.1.0', register: [{}, { id, status: 'closed' }] });
    } finally {
      await app.close();
    }
  });
});
