import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { fixedClock } from '../../platform/clock.js';

const CONFIG = `
products:
  - key: shop
environments:
  - { key: staging, tier: staging }
  - { key: prod, tier: prod, timezone: Europe/Berlin }
windows:
  - key: year-end
    kind: freeze
    environments: [prod]
    start: 2026-12-21T00:00:00Z
    end: 2027-01-04T06:00:00Z
    reason: Year-end freeze
gates:
  - environment: prod
    checks:
      - name: open
        builtin: window
  - environment: staging
    checks:
      - name: open
        builtin: window
`;

describe.each(DIALECTS)('the window built-in asks the calendar (%s)', (dialect) => {
  let t: TestDb;
  const clock = fixedClock(new Date('2026-12-22T10:00:00Z'));
  beforeEach(async () => {
    t = await openTestDb(dialect, clock);
    await t.services.config.apply(CONFIG, 'railyard.yaml', { dryRun: false }, 'admin');
    await t.services.releases.create({ product: 'shop', version: '1.0.0' }, 'alice');
  });
  afterEach(async () => t.close());

  it('fails during a freeze, naming it, and passes where no window closes the environment', async () => {
    const prod = await t.services.gates.check('shop@1.0.0', 'prod', 'bob');
    expect(prod.passed).toBe(false);
    expect(prod.checks[0]).toMatchObject({ name: 'open', status: 'fail', explanation: expect.stringContaining('year-end') });
    const staging = await t.services.gates.check('shop@1.0.0', 'staging', 'bob');
    expect(staging.checks[0]).toMatchObject({ name: 'open', status: 'pass' });
    clock.set(new Date('2027-01-05T10:00:00Z'));
    expect((await t.services.gates.check('shop@1.0.0', 'prod', 'bob')).checks[0]?.status).toBe('pass');
  });
});
