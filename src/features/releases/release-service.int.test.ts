import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { fixedClock } from '../../platform/clock.js';
import { STARTER_CONFIG } from '../config/starter.js';
import type { NewChange } from './change.js';

describe.each(DIALECTS)('releases (%s)', (dialect) => {
  let t: TestDb;
  const clock = fixedClock(new Date('2026-11-20T09:00:00Z'));
  beforeEach(async () => {
    t = await openTestDb(dialect, clock);
    await t.services.config.apply(STARTER_CONFIG, 'railyard.yaml', { dryRun: false }, 'admin');
  });
  afterEach(async () => t.close());

  it('creates a planned release, addressed as PRODUCT@VERSION, and audits it', async () => {
    const r = await t.services.releases.create(
      { product: 'web', version: '1.4.0', title: 'Spring sale', targetDate: '2026-12-01' },
      'alice',
    );
    expect(r).toMatchObject({ ref: 'web@1.4.0', status: 'planned', title: 'Spring sale', targetDate: '2026-12-01', author: 'alice' });
    const [event] = await t.services.audit.list({ subjectType: 'release', subjectId: r.id, limit: 5 });
    expect(event).toMatchObject({ actor: 'alice', action: 'release.created', after: { ref: 'web@1.4.0', status: 'planned' } });
  });

  it('creates a release with its scope in one call: one transaction, audited as created and scope changed', async () => {
    const r = await t.services.releases.create(
      {
        product: 'web',
        version: '1.5.0',
        notes: '### Features',
        changes: [
          { kind: 'pull_request', type: 'feat', ref: '#3', title: 'search', author: 'Ada' },
          { kind: 'commit', type: 'fix', ref: 'abc1234', title: 'crash', breaking: true },
        ],
      },
      'carol',
    );
    const shown = await t.services.releases.show(r.ref);
    expect(shown.changes.map((c) => [c.kind, c.ref, c.author, c.breaking, c.afterFreeze])).toEqual([
      ['pull_request', '#3', 'Ada', false, false],
      ['commit', 'abc1234', null, true, false],
    ]);
    const events = await t.services.audit.list({ subjectId: r.id, limit: 5 });
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ['release.scope_changed', 'carol'],
      ['release.created', 'carol'],
    ]);
    expect(events[0]?.after).toMatchObject({ ref: 'web@1.5.0', added: [{ ref: '#3' }, { ref: 'abc1234' }] });
  });

  it('a release whose scope cannot be stored is not created at all', async () => {
    const unstorable = { kind: 'commit', type: 'fix', ref: 'abc1234', title: null } as unknown as NewChange;
    await expect(t.services.releases.create({ product: 'web', version: '1.6.0', changes: [unstorable] }, 'carol')).rejects.toThrow();
    await expect(t.services.releases.show('web@1.6.0')).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      t.services.releases.create(
        { product: 'web', version: '1.6.0', changes: [{ ...unstorable, title: 'x', kind: 'tweet' as 'commit' }] },
        'carol',
      ),
    ).rejects.toThrow('changes[0].kind: expected one of');
    expect(await t.services.audit.list({ subjectType: 'release', limit: 5 })).toEqual([]);
  });

  it('refuses duplicates, unknown products and trains, and bad versions with clear errors', async () => {
    await t.services.releases.create({ product: 'web', version: '1.4.0' }, 'alice');
    await expect(t.services.releases.create({ product: 'web', version: '1.4.0' }, 'alice')).rejects.toThrow(
      'release web@1.4.0 already exists',
    );
    await expect(t.services.releases.create({ product: 'nope', version: '1.0.0' }, 'alice')).rejects.toThrow("product 'nope' not found");
    await expect(t.services.releases.create({ product: 'web', version: '2.0.0', train: 'weekly' }, 'alice')).rejects.toThrow(
      "train 'weekly' not found",
    );
    await expect(t.services.releases.create({ product: 'web', version: 'v2' }, 'alice')).rejects.toThrow(
      "version: 'v2' is not a semantic version",
    );
  });

  it('two simultaneous creates of one release: one wins, the other gets a conflict', async () => {
    const results = await Promise.allSettled([
      t.services.releases.create({ product: 'web', version: '3.0.0' }, 'alice'),
      t.services.releases.create({ product: 'web', version: '3.0.0' }, 'bob'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: 'conflict', message: 'release web@3.0.0 already exists' });
  });

  it('enforces the lifecycle and records each transition with before and after', async () => {
    await t.services.releases.create({ product: 'web', version: '1.4.0' }, 'alice');
    await expect(t.services.releases.setStatus('web@1.4.0', 'released', 'bob')).rejects.toMatchObject({ code: 'invalid_transition' });
    for (const s of ['in_progress', 'ready', 'released']) await t.services.releases.setStatus('web@1.4.0', s, 'bob', `moving to ${s}`);
    const r = await t.services.releases.show('web@1.4.0');
    expect(r.status).toBe('released');
    expect(r.releasedAt).toBe('2026-11-20T09:00:00.000Z');
    const ref = 'web@1.4.0';
    const events = await t.services.audit.list({ subjectId: r.id, limit: 10 });
    expect(events.map((e) => [e.action, e.before, e.after])).toEqual([
      ['release.status_changed', { ref, status: 'ready' }, { ref, status: 'released', reason: 'moving to released' }],
      ['release.status_changed', { ref, status: 'in_progress' }, { ref, status: 'ready', reason: 'moving to ready' }],
      ['release.status_changed', { ref, status: 'planned' }, { ref, status: 'in_progress', reason: 'moving to in_progress' }],
      ['release.created', null, expect.objectContaining({ status: 'planned' })],
    ]);
    await expect(t.services.releases.setStatus('web@1.4.0', 'cancelled', 'bob')).rejects.toThrow('released is final');
  });

  it('marks scope changes made after the freeze (status ready)', async () => {
    await t.services.releases.create({ product: 'api', version: '1.2.0' }, 'alice');
    await t.services.releases.addChanges('api@1.2.0', [{ kind: 'commit', type: 'feat', ref: 'abc123', title: 'add search' }], 'alice');
    await t.services.releases.setStatus('api@1.2.0', 'in_progress', 'alice');
    await t.services.releases.setStatus('api@1.2.0', 'ready', 'alice');
    await t.services.releases.addChanges(
      'api@1.2.0',
      [{ kind: 'pull_request', type: 'fix', ref: '#42', title: 'late fix', breaking: false }],
      'bob',
    );
    const r = await t.services.releases.show('api@1.2.0');
    expect(r.changes.map((c) => [c.ref, c.afterFreeze])).toEqual([
      ['abc123', false],
      ['#42', true],
    ]);
    const [latest] = await t.services.audit.list({ subjectId: r.id, limit: 1 });
    expect(latest?.action).toBe('release.scope_changed_after_freeze');
  });

  it('pages through releases newest first with a cursor and filters by product and status', async () => {
    for (let i = 0; i < 7; i++) {
      clock.set(new Date(Date.UTC(2026, 10, 1 + i)));
      await t.services.releases.create({ product: i % 2 ? 'api' : 'web', version: `1.0.${i}` }, 'alice');
    }
    const first = await t.services.releases.list({ limit: 3 });
    expect(first.map((r) => r.ref)).toEqual(['web@1.0.6', 'api@1.0.5', 'web@1.0.4']);
    const second = await t.services.releases.list({ limit: 3, before: first.at(-1)?.id });
    expect(second.map((r) => r.ref)).toEqual(['api@1.0.3', 'web@1.0.2', 'api@1.0.1']);
    expect((await t.services.releases.list({ limit: 10, product: 'api' })).length).toBe(3);
    expect((await t.services.releases.list({ limit: 10, status: 'planned' })).length).toBe(7);
    await expect(t.services.releases.list({ limit: 10, status: 'done' })).rejects.toThrow(/status: expected one of/);
  });

  it('audit verify names the first event whose stored row was edited', async () => {
    await t.services.releases.create({ product: 'web', version: '1.4.0' }, 'alice');
    await t.services.releases.setStatus('web@1.4.0', 'in_progress', 'alice');
    const ok = await t.services.audit.verify();
    expect(ok).toMatchObject({ ok: true, firstBroken: null });
    const target = ok.events - 1;
    await sql`update audit_events set actor = 'mallory' where seq = ${target}`.execute(t.services.database.db);
    const broken = await t.services.audit.verify();
    expect(broken.ok).toBe(false);
    expect(broken.firstBroken).toMatchObject({ seq: target, reason: expect.stringMatching(/edited/) });
  });

  it('audit verify notices events deleted from the end of the chain', async () => {
    await t.services.releases.create({ product: 'web', version: '1.4.0' }, 'alice');
    const { events } = await t.services.audit.verify();
    await sql`delete from audit_events where seq = ${events}`.execute(t.services.database.db);
    expect((await t.services.audit.verify()).firstBroken?.reason).toMatch(/ends early/);
  });

  it('records deployments and shows them on the portfolio board', async () => {
    await t.services.releases.create({ product: 'web', version: '1.5.0' }, 'alice');
    await t.services.releases.create({ product: 'web', version: '1.4.0' }, 'alice');
    await t.services.releases.create({ product: 'web', version: '1.10.0' }, 'alice');
    clock.set(new Date('2026-11-21T10:00:00Z'));
    await t.services.deployments.record({ release: 'web@1.4.0', environment: 'prod', status: 'succeeded' }, 'ci');
    clock.set(new Date('2026-11-22T10:00:00Z'));
    await t.services.deployments.record({ release: 'web@1.5.0', environment: 'prod', status: 'failed' }, 'ci');
    const board = await t.services.portfolio.board();
    const web = board.products.find((p) => p.product === 'web');
    expect(web?.cells.prod).toEqual({
      version: '1.4.0',
      deployedAt: '2026-11-21T10:00:00.000Z',
      lastAttempt: { version: '1.5.0', status: 'failed', at: '2026-11-22T10:00:00.000Z' },
    });
    expect(web?.cells.dev).toBeNull();
    // The next release is the lowest open version, whichever was created last.
    expect(web?.nextRelease).toMatchObject({ version: '1.4.0', status: 'planned' });
    await expect(t.services.deployments.record({ release: 'web@1.4.0', environment: 'moon', status: 'succeeded' }, 'ci')).rejects.toThrow(
      "environment 'moon' not found",
    );
  });
});
