import ICAL from 'ical.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { fixedClock } from '../../platform/clock.js';
import type { AppError } from '../../platform/errors.js';
import { buildServer } from '../../platform/http/server.js';

/** The acceptance example of the calendar, plus a product that depends on shop, a train and a cadence. */
const CALENDAR_CONFIG = `
products:
  - key: shop
    track: default
    cadence:
      rrule: FREQ=WEEKLY;BYDAY=FR;BYHOUR=17
      start: 2026-01-02T17:00
      duration: PT2H
  - key: web
    dependsOn:
      - product: shop
        range: ">=1.0.0"
environments:
  - key: staging
    tier: staging
  - key: prod
    tier: prod
    timezone: Europe/Berlin
tracks:
  - key: default
    environments: [staging, prod]
trains:
  - key: monthly
    products: [shop, web]
windows:
  - key: weekend-freeze
    kind: freeze
    environments: [prod]
    rrule: "FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0"
    duration: P2DT12H        # RFC 5545 DURATION semantics (nominal days, exact hours)
    timezone: Europe/Berlin
    reason: No weekend changes
`;

const rejection = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p;
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a rejection');
};

describe.each(DIALECTS)('calendar (%s)', (dialect) => {
  let t: TestDb;
  const clock = fixedClock(new Date('2026-10-19T08:00:00Z'));
  beforeEach(async () => {
    clock.set(new Date('2026-10-19T08:00:00Z'));
    t = await openTestDb(dialect, clock);
    await t.services.config.apply(CALENDAR_CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
  });
  afterEach(async () => t.close());

  it('answers the acceptance example, and a second apply changes nothing', async () => {
    const check = (at: string, environment = 'prod') => t.services.calendar.check({ product: 'shop', environment, at });
    const blocked = await check('2026-10-23T16:30:00Z');
    expect(blocked).toMatchObject({ allowed: false, reasons: [{ window: 'weekend-freeze' }], nextOpen: '2026-10-26T05:00:00.000Z' });
    expect(Object.keys(blocked)).toEqual(['allowed', 'reasons', 'nextOpen']);
    expect(Object.keys(blocked.reasons[0] ?? {})).toEqual(['window', 'message']);
    expect((await check('2026-10-23T15:30:00Z')).allowed).toBe(true);
    expect((await check('2026-10-30T17:30:00Z')).allowed).toBe(false);
    expect((await check('2026-10-30T16:30:00Z')).allowed).toBe(true);
    expect((await check('2026-10-23T16:30:00Z', 'staging')).allowed).toBe(true);
    const again = await t.services.config.apply(CALENDAR_CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    expect(again).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });

  it('updates and archives windows declared in railyard.yaml, with audit events, and refreshes the cached rules', async () => {
    expect((await t.services.calendar.check({ product: 'shop', environment: 'prod', at: '2026-10-23T16:30:00Z' })).allowed).toBe(false);
    const moved = CALENDAR_CONFIG.replace('BYHOUR=18;', 'BYHOUR=19;');
    const plan = await t.services.config.apply(moved, 'railyard.yaml', { dryRun: false }, 'alice');
    expect(plan.items.find((i) => i.kind === 'window')).toMatchObject({ action: 'update', changes: [{ field: 'rrule' }] });
    expect((await t.services.calendar.check({ product: 'shop', environment: 'prod', at: '2026-10-23T16:30:00Z' })).allowed).toBe(true);
    const [w] = await t.services.calendar.listWindows();
    expect(w).toMatchObject({ key: 'weekend-freeze', source: 'config', sequence: 1 });
    const removed = await t.services.config.apply(moved.split('windows:')[0] as string, 'railyard.yaml', { dryRun: false }, 'alice');
    expect(removed.items.find((i) => i.kind === 'window')).toMatchObject({ action: 'delete' });
    expect(await t.services.calendar.listWindows()).toEqual([]);
    const events = await t.services.audit.list({ subjectType: 'window', limit: 10 });
    expect(events.map((e) => e.action)).toEqual(['window.archived', 'window.updated', 'window.created']);
  });

  it('creates windows with the API, refuses bad ones with every problem, and keeps config windows to apply', async () => {
    const w = await t.services.calendar.createWindow(
      { key: 'xmas', kind: 'freeze', severity: 'emergency-only', start: '2026-12-21', end: '2027-01-04T06:00', timezone: 'Europe/Berlin' },
      'bob',
    );
    expect(w).toMatchObject({ key: 'xmas', source: 'api', severity: 'emergency-only' });
    const bad = await rejection(
      t.services.calendar.createWindow({ key: 'bad', kind: 'freeze', rrule: 'FREQ=DAILY;BYHOUR=25', environments: ['qa'] }, 'bob'),
    );
    expect(bad.code).toBe('validation_failed');
    expect(bad.details.map((d) => d.path)).toEqual(['rrule', 'duration', 'environments[0]']);
    expect((await rejection(t.services.calendar.removeWindow('weekend-freeze', 'bob'))).message).toMatch(/declared in railyard.yaml/);
    await t.services.calendar.removeWindow('xmas', 'bob');
    // A later apply leaves API windows alone.
    await t.services.calendar.createWindow({ key: 'again', kind: 'allow', rrule: 'FREQ=DAILY;BYHOUR=22', duration: 'PT4H' }, 'bob');
    const plan = await t.services.config.apply(CALENDAR_CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    expect(plan.deleted).toBe(0);
    expect((await t.services.calendar.listWindows()).map((x) => x.key)).toEqual(['again', 'weekend-freeze']);
  });

  it('overrides need a reason and, in a protected environment, approval by someone else; time-limited and audited', async () => {
    clock.set(new Date('2026-10-23T16:00:00Z'));
    const req = { window: 'weekend-freeze', environment: 'prod', product: 'shop', until: '2026-10-23T20:00:00Z', reason: 'hotfix INC-42' };
    expect((await rejection(t.services.calendar.requestOverride({ ...req, reason: ' ' }, 'carol'))).message).toMatch(/needs a reason/);
    expect((await rejection(t.services.calendar.requestOverride({ ...req, until: '2026-11-23T20:00:00Z' }, 'carol'))).message).toMatch(
      /at most 7 days/,
    );
    const pending = await t.services.calendar.requestOverride(req, 'carol');
    expect(pending).toMatchObject({ status: 'pending', requestedBy: 'carol', product: 'shop' });
    const at = '2026-10-23T17:00:00Z';
    expect((await t.services.calendar.check({ product: 'shop', environment: 'prod', at })).allowed).toBe(false);
    expect((await rejection(t.services.calendar.approveOverride(pending.id, 'carol'))).code).toBe('forbidden');
    const active = await t.services.calendar.approveOverride(pending.id, 'dave');
    expect(active).toMatchObject({ status: 'active', approvedBy: 'dave' });
    const allowed = await t.services.calendar.check({ product: 'shop', environment: 'prod', at });
    expect(allowed.allowed).toBe(true);
    expect(allowed.reasons[0]?.message).toMatch(new RegExp(`overridden by ${pending.id}`));
    expect((await t.services.calendar.check({ product: 'web', environment: 'prod', at })).allowed).toBe(false);
    expect((await t.services.calendar.check({ product: 'shop', environment: 'prod', at: '2026-10-23T20:00:00Z' })).allowed).toBe(false);
    await t.services.calendar.revokeOverride(pending.id, 'dave', 'done');
    expect((await t.services.calendar.check({ product: 'shop', environment: 'prod', at })).allowed).toBe(false);
    const actions = (await t.services.audit.list({ subjectType: 'override', limit: 10 })).map((e) => [e.actor, e.action]);
    expect(actions).toEqual([
      ['dave', 'override.revoked'],
      ['dave', 'override.approved'],
      ['carol', 'override.requested'],
    ]);
    // staging is not protected: the override is active at once.
    const direct = await t.services.calendar.requestOverride({ ...req, environment: 'staging' }, 'carol');
    expect(direct.status).toBe('active');
  });

  it('refuses a conflicting booking with the conflicts, unless forced with a reason, and lists the conflict', async () => {
    await t.services.releases.create({ product: 'shop', version: '1.0.0', train: 'monthly' }, 'alice');
    await t.services.releases.create({ product: 'web', version: '2.0.0', train: 'monthly' }, 'alice');
    const first = await t.services.schedule.book(
      { release: 'shop@1.0.0', environment: 'prod', start: '2026-10-20T08:00:00Z', end: '2026-10-20T10:00:00Z' },
      'alice',
    );
    expect(first).toMatchObject({ booking: { status: 'active', forced: false }, conflicts: [] });
    const clash = { release: 'web@2.0.0', environment: 'prod', start: '2026-10-20T09:00:00Z', end: '2026-10-20T11:00:00Z' };
    const refused = await rejection(t.services.schedule.book(clash, 'bob'));
    expect(refused.code).toBe('conflict');
    expect(refused.details.map((d) => d.message)).toEqual([
      expect.stringMatching(/^dependency: web@2.0.0 reaches prod before shop@1.0.0/),
      expect.stringMatching(
        /^overbooked: prod is booked for shop@1.0.0 and web@2.0.0 at the same time \(concurrency 1\); next free slot 2026-10-20T10:00/,
      ),
    ]);
    expect((await rejection(t.services.schedule.book({ ...clash, force: true }, 'bob'))).message).toMatch(/needs a reason/);
    const forced = await t.services.schedule.book({ ...clash, force: true, reason: 'CAB approved' }, 'bob');
    expect(forced.booking).toMatchObject({ forced: true, forceReason: 'CAB approved' });
    const conflicts = await t.services.schedule.conflicts();
    expect(conflicts.map((c) => [c.kind, c.a.key, c.b.key])).toEqual([
      ['dependency', 'web@2.0.0', 'shop@1.0.0'],
      ['overbooked', 'shop@1.0.0', 'web@2.0.0'],
    ]);
    expect((await t.services.audit.list({ subjectType: 'booking', limit: 1 }))[0]).toMatchObject({
      actor: 'bob',
      action: 'booking.forced',
    });
    await t.services.schedule.cancelBooking(forced.booking.id, 'bob', 'moved');
    expect(await t.services.schedule.conflicts()).toEqual([]);
  });

  it('plans releases, reports plans inside a freeze and trains that do not overlap, and proposes cadence dates around freezes', async () => {
    await t.services.releases.create({ product: 'shop', version: '1.1.0', train: 'monthly' }, 'alice');
    await t.services.releases.create({ product: 'web', version: '2.1.0', train: 'monthly' }, 'alice');
    const inFreeze = await t.services.schedule.plan(
      { release: 'shop@1.1.0', environment: 'prod', start: '2026-10-24T08:00:00Z', end: '2026-10-24T10:00:00Z' },
      'alice',
    );
    expect(inFreeze.conflicts.map((c) => [c.kind, c.b.key, c.suggestion?.start])).toEqual([
      ['freeze', 'weekend-freeze', '2026-10-26T05:00:00.000Z'],
    ]);
    await t.services.schedule.plan(
      { release: 'web@2.1.0', environment: 'prod', start: '2026-10-27T08:00:00Z', end: '2026-10-27T10:00:00Z' },
      'alice',
    );
    const kinds = (await t.services.schedule.conflicts({ environment: 'prod' })).map((c) => c.kind).sort();
    expect(kinds).toEqual(['freeze', 'train']);
    const proposals = await t.services.schedule.propose({ product: 'shop', count: 2 });
    // The cadence is Friday 17:00-19:00 Berlin; the freeze starts at 18:00, so every date is skipped and explained.
    expect(proposals).toMatchObject({ subject: 'product', key: 'shop', environment: 'prod', items: [] });
    expect(proposals.skipped[0]).toMatchObject({ start: '2026-10-23T15:00:00.000Z', reason: "freeze 'weekend-freeze' (shop in prod)" });
    const staging = await t.services.schedule.propose({ product: 'shop', environment: 'staging', count: 2 });
    expect(staging.items.map((i) => i.start)).toEqual(['2026-10-23T17:00:00.000Z', '2026-10-30T17:00:00.000Z']);
    await t.services.schedule.unplan({ release: 'shop@1.1.0', environment: 'prod' }, 'alice');
    expect((await t.services.schedule.plans({})).map((p) => p.release)).toEqual(['web@2.1.0']);
  });

  it('lists an agenda and an ICS feed that ical.js reads; feed tokens are per user and replaceable', async () => {
    await t.services.releases.create({ product: 'shop', version: '1.2.0' }, 'alice');
    await t.services.schedule.plan(
      { release: 'shop@1.2.0', environment: 'prod', start: '2026-10-20T08:00:00Z', end: '2026-10-20T10:00:00Z' },
      'alice',
    );
    const agenda = await t.services.schedule.agenda({ from: '2026-10-19', to: '2026-10-25' });
    expect(agenda.items.map((i) => [i.kind, i.start])).toEqual([
      // The weekend freeze that began the Friday before ends on Monday 06:00, inside the range.
      ['freeze', '2026-10-16T16:00:00.000Z'],
      ['release', '2026-10-20T08:00:00.000Z'],
      ['freeze', '2026-10-23T16:00:00.000Z'],
    ]);
    const ics = await t.services.schedule.ics({ from: '2026-10-01', to: '2026-11-30' });
    const cal = new ICAL.Component(ICAL.parse(ics));
    const events = cal.getAllSubcomponents('vevent').map((e) => new ICAL.Event(e));
    expect(events.map((e) => e.summary)).toEqual(['Freeze: weekend-freeze (prod)', 'shop@1.2.0 → prod (planned)']);
    expect(String(events[0]?.component.getFirstPropertyValue('rrule'))).toBe('FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0');
    const token = await t.services.calendar.createFeedToken('erin');
    expect(await t.services.calendar.feedUser(token.token)).toBe('erin');
    const rotated = await t.services.calendar.createFeedToken('erin');
    expect(await t.services.calendar.feedUser(token.token)).toBeUndefined();
    expect(await t.services.calendar.feedUser(rotated.token)).toBe('erin');
  });

  it('serves the check, the calendar API and /calendar.ics over HTTP', async () => {
    const app = await buildServer(t.services, { webRoot: '/nonexistent' });
    try {
      const check = await app.inject({ url: '/api/v1/calendar/check?product=shop&environment=prod&at=2026-10-23T16:30:00Z' });
      expect(check.statusCode).toBe(200);
      expect(JSON.parse(check.body)).toMatchObject({ allowed: false, nextOpen: '2026-10-26T05:00:00.000Z' });
      const unknown = await app.inject({ url: '/api/v1/calendar/check?product=nope&environment=prod' });
      expect(unknown.statusCode).toBe(404);
      expect((await app.inject({ url: '/calendar.ics' })).statusCode).toBe(401);
      const token = await app.inject({
        method: 'POST',
        url: '/api/v1/calendar/feed-token',
        payload: {},
        headers: { 'railyard-actor': 'erin' },
      });
      const { path } = JSON.parse(token.body);
      const feed = await app.inject({ url: `${path}&kinds=freeze` });
      expect(feed.statusCode).toBe(200);
      expect(feed.headers['content-type']).toMatch(/^text\/calendar/);
      expect(feed.body).toContain('RRULE:FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0');
      const bad = await app.inject({
        method: 'POST',
        url: '/api/v1/calendar/windows',
        payload: { key: 'x', kind: 'freeze', rrule: 'FREQ=NEVER' },
      });
      expect(bad.statusCode).toBe(400);
      expect(JSON.parse(bad.body).error.details[0]).toMatchObject({ path: 'rrule' });
    } finally {
      await app.close();
    }
  });
});
