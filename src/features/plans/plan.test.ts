// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is how plans write run variables, and these tests are about them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  durationMsProblem,
  findStepCycle,
  formatMs,
  idempotencyKey,
  interpolate,
  parseDurationMs,
  redact,
  type StepState,
  startableSteps,
} from './plan.js';

describe('parseDurationMs', () => {
  it.each([
    ['PT5S', 5_000],
    ['PT2M', 120_000],
    ['PT1H30M', 5_400_000],
    ['P1DT2H', 93_600_000],
    ['P2D', 172_800_000],
    ['PT0S', 0],
    ['PT1.5S', 1_500],
    ['PT0.25S', 250],
    ['PT90M', 5_400_000],
    ['5s', 5_000],
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1s500ms', 1_500],
    ['1d', 86_400_000],
    ['0s', 0],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each([
    '',
    'P',
    'PT',
    'P1DT',
    'P1M', // months are not a fixed length
    'P1Y',
    'P1W',
    'pt5s',
    '5',
    '-5s',
    '1.5h',
    ' 5s',
    '5s ',
    '5 s',
    'PT5S5',
    'soon',
  ])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeNull();
    expect(durationMsProblem(text)).toMatch(/is not a duration: write e\.g\. PT30S/);
  });

  it('reads the same duration written either way', () => {
    const part = fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined });
    fc.assert(
      fc.property(part, part, part, part, (d, h, m, s) => {
        fc.pre([d, h, m, s].some((n) => n !== undefined));
        const ms = (((d ?? 0) * 24 + (h ?? 0)) * 60 + (m ?? 0)) * 60_000 + (s ?? 0) * 1000;
        const time = `${h === undefined ? '' : `${h}H`}${m === undefined ? '' : `${m}M`}${s === undefined ? '' : `${s}S`}`;
        const iso = `P${d === undefined ? '' : `${d}D`}${time ? `T${time}` : ''}`;
        const short = `${d === undefined ? '' : `${d}d`}${h === undefined ? '' : `${h}h`}${m === undefined ? '' : `${m}m`}${s === undefined ? '' : `${s}s`}`;
        expect(parseDurationMs(iso)).toBe(ms);
        expect(parseDurationMs(short)).toBe(ms);
      }),
    );
  });

  it('round-trips any whole number of milliseconds through PT…S', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (ms) => {
        expect(parseDurationMs(`PT${ms / 1000}S`)).toBe(ms);
        expect(parseDurationMs(`${ms}ms`)).toBe(ms);
      }),
    );
  });

  it('never throws, and gives null or a whole number of milliseconds', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'PTDHMS0123456789.dhms '), maxLength: 12 }), (text) => {
        const ms = parseDurationMs(text);
        if (ms !== null) {
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});

describe('formatMs', () => {
  it.each([
    [250, '250 ms'],
    [5_000, '5s'],
    [90_000, '1m 30s'],
    [3_600_000, '1h'],
    [3_723_000, '1h 2m 3s'],
  ])('writes %i ms as %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});

describe('findStepCycle', () => {
  const steps = (needs: Record<string, string[]>) => Object.entries(needs).map(([key, n]) => ({ key, needs: n }));

  it('finds none in a DAG, and ignores needs that name no step', () => {
    expect(findStepCycle(steps({ a: [], b: ['a'], c: ['a', 'b', 'ghost'] }))).toBeNull();
  });

  it('names a cycle from its first step back to it', () => {
    expect(findStepCycle(steps({ a: ['b'], b: ['c'], c: ['a'] }))).toEqual(['a', 'b', 'c', 'a']);
    expect(findStepCycle(steps({ a: ['a'] }))).toEqual(['a', 'a']);
    expect(findStepCycle(steps({ start: [], x: ['start', 'y'], y: ['x'] }))).toEqual(['x', 'y', 'x']);
  });

  it('finds no cycle when every step needs only earlier ones, and a real one when a step needs a later one', () => {
    const dag = fc
      .integer({ min: 1, max: 12 })
      .chain((n) =>
        fc.tuple(
          fc.constant(n),
          fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 30 }),
          fc.tuple(fc.nat(n - 1), fc.nat(n - 1)),
        ),
      );
    fc.assert(
      fc.property(dag, ([n, edges, [p, q]]) => {
        const needs = Array.from({ length: n }, () => new Set<number>());
        for (const [x, y] of edges) if (x !== y) needs[Math.max(x, y)]?.add(Math.min(x, y));
        const graph = () => needs.map((s, i) => ({ key: `s${i}`, needs: [...s].map((j) => `s${j}`) }));
        expect(findStepCycle(graph())).toBeNull();

        // A path low → … → high exists when high needs low (directly); add low needs high to close it.
        const [low, high] = [Math.min(p, q), Math.max(p, q)];
        needs[high]?.add(low);
        needs[low]?.add(high);
        const cycle = findStepCycle(graph());
        expect(cycle).not.toBeNull();
        const byKey = new Map(graph().map((s) => [s.key, s.needs]));
        expect(cycle?.[0]).toBe(cycle?.at(-1));
        for (let i = 0; i + 1 < (cycle?.length ?? 0); i++) {
          expect(byKey.get(cycle?.[i] ?? '')).toContain(cycle?.[i + 1]);
        }
      }),
    );
  });
});

describe('startableSteps', () => {
  const step = (key: string, status: StepState['status'], needs: string[] = [], onFailure: StepState['onFailure'] = 'rollback') => ({
    key,
    status,
    needs,
    onFailure,
  });

  it('starts pending steps whose needs are all settled', () => {
    expect(
      startableSteps([
        step('deploy', 'succeeded'),
        step('migrate', 'skipped'),
        step('verify', 'pending', ['deploy', 'migrate']),
        step('notify', 'pending'),
        step('sign-off', 'waiting'),
        step('after-sign-off', 'pending', ['sign-off']),
      ]),
    ).toEqual(['verify', 'notify']);
  });

  it('lets a failed step with onFailure: continue unblock its dependents, but not one that rolls back or stops', () => {
    expect(
      startableSteps([
        step('optional', 'failed', [], 'continue'),
        step('required', 'failed', [], 'rollback'),
        step('halting', 'failed', [], 'stop'),
        step('a', 'pending', ['optional']),
        step('b', 'pending', ['required']),
        step('c', 'pending', ['halting']),
      ]),
    ).toEqual(['a']);
  });

  it('never starts a step that needs an unknown one', () => {
    expect(startableSteps([step('a', 'pending', ['ghost'])])).toEqual([]);
  });
});

describe('interpolate', () => {
  const vars = { RAILYARD_ENV: 'prod', RAILYARD_VERSION: '1.2.0', EVIL: '${RAILYARD_ENV}' };

  it('replaces ${NAME} with its value and leaves unknown names as written', () => {
    expect(interpolate('https://${RAILYARD_ENV}.example.com/v/${RAILYARD_VERSION}?x=${UNKNOWN}', vars)).toBe(
      'https://prod.example.com/v/1.2.0?x=${UNKNOWN}',
    );
  });

  it('leaves $NAME, ${} and names that are not names alone, and does not expand a value twice', () => {
    expect(interpolate('$RAILYARD_ENV ${} ${1X} ${EVIL}', vars)).toBe('$RAILYARD_ENV ${} ${1X} ${RAILYARD_ENV}');
  });
});

describe('redact', () => {
  it('replaces every occurrence of each secret', () => {
    expect(redact('token=s3cret! again s3cret!', ['s3cret!'])).toBe('token=*** again ***');
  });

  it('leaves values shorter than 4 characters alone', () => {
    expect(redact('on port 443', ['443', ''])).toBe('on port 443');
  });

  it('hides the whole of a secret that contains a shorter one', () => {
    expect(redact('key=abcd-efgh', ['abcd', 'abcd-efgh'])).toBe('key=***');
  });

  it('hides well-known token formats nobody declared, keeping their prefix', () => {
    const gh = `ghp_${'a1B2'.repeat(9)}`;
    expect(redact(`pushing with ${gh} now`, [])).toBe('pushing with ghp_*** now');
    expect(redact('Authorization: Bearer eyJhbGciOi.x.y\n', [])).toBe('Authorization: Bearer ***\n');
    expect(redact('key AKIAABCDEFGHIJKLMNOP used', [])).toBe('key AKIA*** used');
    expect(redact('slack xoxb-1234567890-abcdef', [])).toBe('slack xoxb-***');
    expect(redact('plain text with ghp_short stays', [])).toBe('plain text with ghp_short stays');
  });

  it('leaves no secret in the output', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abc-_=:/ '), maxLength: 40 });
    const secret = fc.string({ unit: fc.constantFrom(...'abc-'), minLength: 4, maxLength: 8 });
    fc.assert(
      fc.property(word, fc.array(secret, { minLength: 1, maxLength: 3 }), (text, secrets) => {
        const out = redact(`${text}${secrets.join(text)}${text}`, secrets);
        for (const s of secrets) expect(out).not.toContain(s);
      }),
    );
  });
});

describe('retries and idempotency keys', () => {
  it('doubles the backoff with each attempt, up to ten minutes', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(1000, n))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(1000, 30)).toBe(600_000);
  });

  it('gives every attempt of one step of one run the same key', () => {
    expect(idempotencyKey('run1', 'steps', 'deploy')).toBe(idempotencyKey('run1', 'steps', 'deploy'));
    expect(idempotencyKey('run1', 'steps', 'deploy')).not.toBe(idempotencyKey('run1', 'rollback', 'deploy'));
  });
});
