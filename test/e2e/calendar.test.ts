import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, railyard, startServer } from '../support/cli.js';

/** The acceptance example of the calendar feature, exactly as the issue writes it. */
const ACCEPTANCE = `products:
  - key: shop
environments:
  - key: staging
    tier: staging
  - key: prod
    tier: prod
    timezone: Europe/Berlin
tracks:
  - key: default
    environments: [staging, prod]
windows:
  - key: weekend-freeze
    kind: freeze
    environments: [prod]
    rrule: "FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0"
    duration: P2DT12H        # RFC 5545 DURATION semantics (nominal days, exact hours)
    timezone: Europe/Berlin
    reason: No weekend changes
`;

describe('railyard calendar, as a subprocess', () => {
  let dir: string;
  let server: RunningServer;
  const run = (...args: string[]) => railyard(args, { cwd: dir });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-calendar-'));
    writeFileSync(join(dir, 'railyard.yaml'), ACCEPTANCE);
    server = await startServer(['--db', join(dir, 'server.db')], dir);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the example, and a second apply changes nothing', () => {
    expect(run('apply', '-f', 'railyard.yaml')).toMatchObject({ code: 0, stdout: expect.stringContaining('+ window weekend-freeze') });
    expect(JSON.parse(run('apply', '-f', 'railyard.yaml', '--json').stdout)).toMatchObject({
      created: 0,
      updated: 0,
      deleted: 0,
      unchanged: 5,
    });
  });

  it('can-promote: blocked (exit 3) at 18:30 CEST and 18:30 CET, allowed (exit 0) at 17:30, never blocked in staging', () => {
    const check = (at: string, env = 'prod') => {
      const r = run('can-promote', 'shop', '--env', env, '--at', at, '--json');
      return { code: r.code, body: JSON.parse(r.stdout) };
    };
    const friday = check('2026-10-23T16:30:00Z');
    expect(friday.code).toBe(3);
    expect(Object.keys(friday.body)).toEqual(['allowed', 'reasons', 'nextOpen']);
    expect(friday.body).toEqual({
      allowed: false,
      reasons: [{ window: 'weekend-freeze', message: expect.stringContaining('No weekend changes') }],
      nextOpen: '2026-10-26T05:00:00.000Z',
    });
    expect(check('2026-10-23T15:30:00Z')).toMatchObject({ code: 0, body: { allowed: true, reasons: [] } });
    expect(check('2026-10-30T17:30:00Z')).toMatchObject({ code: 3, body: { allowed: false, nextOpen: '2026-11-02T05:00:00.000Z' } });
    expect(check('2026-10-30T16:30:00Z')).toMatchObject({ code: 0, body: { allowed: true } });
    for (const at of ['2026-10-23T16:30:00Z', '2026-10-30T17:30:00Z']) expect(check(at, 'staging')).toMatchObject({ code: 0 });
    const human = run('can-promote', 'shop', '--env', 'prod', '--at', '2026-10-23T16:30:00Z');
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(
      /^blocked: shop → prod at 2026-10-23T16:30:00Z\n {2}weekend-freeze: freeze 'weekend-freeze' \(No weekend changes\)/,
    );
    expect(human.stdout).toContain('next open: 2026-10-26T05:00:00.000Z');
  });

  it('calendar --ics prints a VCALENDAR with the window as a VEVENT carrying its RRULE, which ical.js reads', () => {
    const r = run('calendar', '--ics', '--from', '2026-10-01', '--to', '2026-11-30');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    const cal = new ICAL.Component(ICAL.parse(r.stdout));
    for (const tz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
    const [vevent] = cal.getAllSubcomponents('vevent');
    const event = new ICAL.Event(vevent);
    expect(event.summary).toBe('Freeze: weekend-freeze (prod)');
    expect(String(vevent?.getFirstPropertyValue('rrule'))).toBe('FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0');
    expect(event.startDate.zone?.tzid).toBe('Europe/Berlin');
    const uid = event.uid;
    expect(run('calendar', '--ics', '--from', '2026-10-01', '--to', '2026-11-30').stdout).toContain(`UID:${uid}`);
  });

  it('reports bad windows with file:line:column and stores nothing', () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      ACCEPTANCE.replace('BYDAY=FR', 'BYDAY=FX').replace('Europe/Berlin\n    reason', 'Europe/Berlinn\n    reason'),
    );
    const r = run('apply', '-f', 'bad.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        'error: bad.yaml has 2 problems',
        "  bad.yaml:16:12 windows[0].rrule: invalid rule: BYDAY=FX: 'FX' is not a weekday (MO, TU, WE, TH, FR, SA, SU, optionally with a number: 1MO, -1FR)",
        "  bad.yaml:18:15 windows[0].timezone: unknown time zone 'Europe/Berlinn' (use an IANA name such as Europe/Berlin)",
        '',
      ].join('\n'),
    );
  });

  it('answers the same against a server (--server), and books, refuses and forces', () => {
    const remote = (...args: string[]) => railyard(['--server', server.url, ...args], { cwd: dir });
    expect(remote('apply', '-f', 'railyard.yaml').code).toBe(0);
    const local = run('can-promote', 'shop', '--env', 'prod', '--at', '2026-10-23T16:30:00Z', '--json');
    const viaServer = remote('can-promote', 'shop', '--env', 'prod', '--at', '2026-10-23T16:30:00Z', '--json');
    expect(viaServer).toEqual(local);
    for (const r of [run, remote]) {
      expect(r('releases', 'create', 'shop', '1.0.0').code).toBe(0);
      expect(r('releases', 'create', 'shop', '1.1.0').code).toBe(0);
      expect(
        r('calendar', 'book', 'shop@1.0.0', '--env', 'prod', '--start', '2027-01-05T08:00:00Z', '--end', '2027-01-05T10:00:00Z').code,
      ).toBe(0);
      const clash = ['calendar', 'book', 'shop@1.1.0', '--env', 'prod', '--start', '2027-01-05T09:00:00Z', '--end', '2027-01-05T11:00:00Z'];
      const refused = r(...clash);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/conflicts with the calendar[\s\S]*overbooked: prod is booked for shop@1.0.0 and shop@1.1.0/);
      expect(r(...clash, '--force', '--reason', 'CAB approved').code).toBe(0);
      const conflicts = r('calendar', 'conflicts', '--from', '2027-01-01', '--json');
      expect(conflicts.code).toBe(3);
      expect(JSON.parse(conflicts.stdout).map((c: { kind: string }) => c.kind)).toEqual(['overbooked']);
    }
  });
});
