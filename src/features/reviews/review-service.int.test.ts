import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { fixedClock } from '../../platform/clock.js';
import { buildServer } from '../../platform/http/server.js';
import { reportMarkdown } from './report.js';

const CONFIG = `
environments:
  - key: prod
    tier: prod
    approvals: { min: 1, distinctFrom: [author] }
products:
  - key: shop
gates:
  - environment: prod
    checks:
      - name: decided
        builtin: review
      - name: no-blockers
        builtin: risks
reviews:
  - kind: go-no-go
    name: Go/no-go
    checklist: [QA sign-off, Runbook reviewed]
    rule: unanimous
    roles: [qa, ops]
  - kind: go-no-go
    key: quick
    rule: majority
    quorum: 1
`;

describe.each(DIALECTS)('reviews (%s)', (dialect) => {
  let t: TestDb;
  const clock = fixedClock(new Date('2026-11-20T10:00:00.000Z'));
  beforeAll(async () => {
    t = await openTestDb(dialect, clock);
    await t.services.config.apply(CONFIG, 'railyard.yaml', { dryRun: false }, 'admin');
    await t.services.releases.create({ product: 'shop', version: '1.0.0', author: 'alice', notes: 'Cart rewrite.' }, 'alice');
    await t.services.releases.create({ product: 'shop', version: '1.1.0', author: 'alice' }, 'alice');
    await t.services.releases.addChanges('shop@1.0.0', [{ kind: 'commit', type: 'feat', ref: 'abc', title: 'cart', author: 'cody' }], 'ci');
  });
  afterAll(() => t.close());
  const reviews = () => t.services.reviews;
  const gate = async (ref = 'shop@1.0.0') => (await t.services.gates.check(ref, 'prod', 'pat')).checks.find((c) => c.name === 'decided');

  it('opens from the template, refuses a second open review, and the gate is unknown until it decides', async () => {
    expect(await gate()).toMatchObject({
      status: 'unknown',
      explanation: expect.stringContaining('review open shop@1.0.0 --kind go-no-go'),
    });
    const r = await reviews().open({ release: 'shop@1.0.0', kind: 'go-no-go' }, 'rm');
    expect(r).toMatchObject({
      status: 'open',
      rule: { template: 'go-no-go', rule: 'unanimous', roles: ['qa', 'ops'], quorum: 1 },
      checklist: [
        { item: 'QA sign-off', ticked: false },
        { item: 'Runbook reviewed', ticked: false },
      ],
      outcome: { decision: 'pending' },
    });
    await expect(reviews().open({ release: 'shop@1.0.0', kind: 'go-no-go' }, 'rm')).rejects.toMatchObject({ code: 'conflict' });
    await expect(reviews().open({ release: 'shop@9.9.9', kind: 'go-no-go' }, 'rm')).rejects.toMatchObject({ code: 'not_found' });
    await expect(reviews().open({ release: 'shop@1.1.0', kind: 'go-no-go', template: 'nope' }, 'rm')).rejects.toMatchObject({
      code: 'not_found',
      message: "review template 'nope' not found",
    });
    expect(await gate()).toMatchObject({ status: 'unknown', explanation: 'unknown: the go-no-go review has not decided yet' });
  });

  it('ticks items, replaces a second vote (audited), and refuses to decide while pending', async () => {
    await reviews().tick('shop@1.0.0', 'go-no-go', '1', true, 'quinn');
    await reviews().vote({ release: 'shop@1.0.0', vote: 'no-go', role: 'qa', comment: 'flaky' }, 'quinn');
    const r = await reviews().vote({ release: 'shop@1.0.0', vote: 'go', role: 'qa', comment: 'fixed' }, 'quinn');
    expect(r.votes).toEqual([{ voter: 'quinn', vote: 'go', role: 'qa', comment: 'fixed', at: expect.any(String), counted: true }]);
    const events = await t.services.audit.list({ limit: 5, actor: 'quinn' });
    expect(events.map((e) => e.action)).toEqual(['review.vote_replaced', 'review.voted', 'review.ticked']);
    expect(events[0]?.before).toMatchObject({ vote: 'no-go', comment: 'flaky' });
    await expect(reviews().vote({ release: 'shop@1.0.0', vote: 'go', role: 'dev' }, 'x')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(reviews().vote({ release: 'shop@1.0.0', vote: 'maybe' }, 'x')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(reviews().decide('shop@1.0.0', 'go-no-go', '', 'rm')).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('no vote yet from role ops'),
    });
  });

  it('a no-go decision is recorded with minutes and fails the gate; votes after it are refused', async () => {
    await reviews().vote({ release: 'shop@1.0.0', vote: 'no-go', role: 'ops', comment: 'on-call short' }, 'olga');
    const d = await reviews().decide('shop@1.0.0', 'go-no-go', 'Postponed a week.', 'rm');
    expect(d).toMatchObject({ status: 'decided', decision: 'no-go', decidedAt: '2026-11-20T10:00:00.000Z' });
    expect(d.minutes).toContain('Postponed a week.');
    expect(d.minutes).toContain('- olga (ops): no-go — on-call short');
    expect(await gate()).toMatchObject({ status: 'fail', explanation: 'go-no-go review decided no-go' });
    expect((await t.services.gates.check('shop@1.0.0', 'prod', 'pat')).passed).toBe(false);
    await expect(reviews().vote({ release: 'shop@1.0.0', vote: 'go' }, 'x')).rejects.toMatchObject({ code: 'conflict' });
    const [event] = await t.services.audit.list({ limit: 1, actor: 'rm' });
    expect(event).toMatchObject({ action: 'review.decided', after: { decision: 'no-go' } });
  });

  it('a new review from another template supersedes the decided one; go passes the gate', async () => {
    const r = await reviews().open({ release: 'shop@1.0.0', kind: 'go-no-go', template: 'quick' }, 'rm');
    expect(r.rule).toMatchObject({ template: 'quick', rule: 'majority' });
    await reviews().vote({ release: 'shop@1.0.0', vote: 'go' }, 'bob');
    expect((await reviews().decide('shop@1.0.0', 'go-no-go', '', 'rm')).decision).toBe('go');
    expect(await gate()).toMatchObject({ status: 'pass' });
    expect((await reviews().list('shop@1.0.0')).map((x) => x.decision)).toEqual(['no-go', 'go']);
  });

  it('the readiness report assembles scope, notes, gates, approvals and reviews', async () => {
    const report = await t.services.reports.report('shop@1.0.0', 'pat');
    expect(report).toMatchObject({
      release: { ref: 'shop@1.0.0', author: 'alice' },
      notes: 'Cart rewrite.',
      scope: { total: 1, breaking: 0, byType: { feat: 1 } },
      gates: [{ environment: 'prod', passed: true }],
      approvals: [{ environment: 'prod', status: { satisfied: false } }],
      reviews: [{ kind: 'go-no-go', decision: 'go' }],
    });
    const md = reportMarkdown(report);
    expect(md).toMatch(/^# Readiness report: shop@1.0.0/);
    for (const h of ['## Scope', '## Notes', '## Gates', '## Risk', '## Approvals', '## Reviews']) expect(md).toContain(h);
    expect(md).toContain('| feat | abc | cart | cody | - |');
  });

  it('offers the same over HTTP, with the caller as voter', async () => {
    const app = await buildServer(t.services, { webRoot: '/nonexistent' });
    try {
      const call = (method: 'GET' | 'POST', url: string, payload?: object, actor = 'api') =>
        app.inject({ method, url: `/api/v1/releases/shop@1.1.0${url}`, payload, headers: { 'railyard-actor': actor } });
      let res = await call('POST', '/reviews', { kind: 'go-no-go' });
      expect(res.statusCode).toBe(200);
      res = await call('POST', '/reviews/go-no-go/checklist', { item: 'runbook' }, 'olga');
      expect(res.json().checklist[1]).toMatchObject({ ticked: true, by: 'olga' });
      res = await call('POST', '/reviews/go-no-go/votes', { vote: 'nope' });
      expect(res.statusCode).toBe(400);
      res = await call('POST', '/reviews/go-no-go/votes', { vote: 'no-go', role: 'qa' }, 'quinn');
      expect(res.json().outcome.decision).toBe('no-go');
      res = await call('POST', '/reviews/go-no-go/decision', { minutes: 'no' }, 'rm');
      expect(res.json()).toMatchObject({ decision: 'no-go', status: 'decided' });
      res = await call('GET', '/reviews/go-no-go');
      expect(res.json().votes[0]).toMatchObject({ voter: 'quinn' });
      expect((await call('GET', '/reviews')).json().items).toHaveLength(1);
      expect((await call('GET', '/reviews/readiness')).statusCode).toBe(404);
      const report = await call('GET', '/report');
      expect(report.statusCode).toBe(200);
      expect(report.json()).toMatchObject({ gates: [{ passed: false }], reviews: [{ decision: 'no-go' }] });
    } finally {
      await app.close();
    }
  });
});
