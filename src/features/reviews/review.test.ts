import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ChecklistItem, type DecisionRule, decide, findItem, minutesOf, type VoteValue } from './review.js';

const rule = (over: Partial<DecisionRule> = {}): DecisionRule => ({
  template: 'go-no-go',
  name: 'Go/no-go',
  rule: 'unanimous',
  roles: [],
  quorum: 1,
  ...over,
});
const item = (text: string, ticked = true): ChecklistItem => ({ item: text, ticked, by: ticked ? 'x' : null, at: null });
const v = (voter: string, vote: VoteValue, role: string | null = null) => ({ voter, vote, role });

describe('the decision rule', () => {
  it('is pending until the quorum has voted (abstentions do not count towards it)', () => {
    const o = decide(rule({ quorum: 2 }), [v('a', 'go'), v('b', 'abstain')], []);
    expect(o).toMatchObject({ decision: 'pending', explanation: 'pending: 1 vote of the quorum of 2 (1 go, 0 no-go, 1 abstain)' });
    expect(decide(rule({ quorum: 2 }), [v('a', 'go'), v('b', 'go')], []).decision).toBe('go');
  });

  it('unanimous: one no-go decides no-go at once, naming who', () => {
    const o = decide(rule({ quorum: 3 }), [v('a', 'go'), v('b', 'no-go')], [item('tests', false)]);
    expect(o).toMatchObject({ decision: 'no-go', explanation: 'no-go: unanimous rule and b voted no-go (1 go, 1 no-go, 0 abstain)' });
  });

  it('unanimous among required roles: each role must vote; votes in other roles are advisory', () => {
    const r = rule({ roles: ['qa', 'ops'] });
    expect(decide(r, [v('a', 'go', 'qa')], []).explanation).toBe('pending: no vote yet from role ops (1 go, 0 no-go, 0 abstain)');
    expect(decide(r, [v('a', 'go', 'qa'), v('b', 'go', 'ops'), v('c', 'no-go', 'dev')], []).decision).toBe('go');
    expect(decide(r, [v('a', 'go', 'qa'), v('b', 'go', 'ops'), v('c', 'no-go', null)], []).decision).toBe('go');
  });

  it('majority: more go than no-go is go; a tie is no-go (fail closed)', () => {
    const r = rule({ rule: 'majority', quorum: 3 });
    expect(decide(r, [v('a', 'go'), v('b', 'go'), v('c', 'no-go')], []).decision).toBe('go');
    expect(decide(r, [v('a', 'go'), v('b', 'no-go'), v('c', 'no-go')], []).decision).toBe('no-go');
    expect(decide(rule({ rule: 'majority', quorum: 2 }), [v('a', 'go'), v('b', 'no-go')], []).explanation).toBe(
      'no-go: majority rule, 1 go against 1 no-go (1 go, 1 no-go, 0 abstain)',
    );
  });

  it('go waits for the checklist; no-go does not', () => {
    expect(decide(rule(), [v('a', 'go')], [item('QA sign-off', false)]).explanation).toBe(
      "pending: checklist not done: 'QA sign-off' (1 go, 0 no-go, 0 abstain)",
    );
    expect(decide(rule(), [v('a', 'go')], [item('QA sign-off')]).decision).toBe('go');
  });

  const votes = fc.array(
    fc.record({
      voter: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      vote: fc.constantFrom<VoteValue>('go', 'no-go', 'abstain'),
      role: fc.constantFrom(null, 'qa', 'ops'),
    }),
    { maxLength: 8 },
  );
  const rules = fc.record({
    template: fc.constant('t'),
    name: fc.constant('t'),
    rule: fc.constantFrom<'unanimous' | 'majority'>('unanimous', 'majority'),
    roles: fc.subarray(['qa', 'ops']),
    quorum: fc.integer({ min: 1, max: 5 }),
  });

  it('properties: go only with the quorum, every role and the checklist; unanimous go only without a counted no-go', () => {
    fc.assert(
      fc.property(rules, votes, fc.array(fc.boolean(), { maxLength: 3 }), (r, vs, ticks) => {
        const checklist = ticks.map((t, i) => item(`item ${i}`, t));
        const o = decide(r, vs, checklist);
        const counted = vs.filter((x) => r.roles.length === 0 || (x.role !== null && r.roles.includes(x.role)));
        if (o.decision === 'go') {
          expect(o.go + o.noGo).toBeGreaterThanOrEqual(r.quorum);
          expect(o.missingRoles).toEqual([]);
          expect(o.unticked).toEqual([]);
          expect(o.go).toBeGreaterThan(o.noGo);
          if (r.rule === 'unanimous') expect(counted.some((x) => x.vote === 'no-go')).toBe(false);
        }
        if (r.rule === 'unanimous' && counted.some((x) => x.vote === 'no-go')) expect(o.decision).toBe('no-go');
        // Votes that do not count never change the outcome.
        const advisory = vs.filter((x) => !counted.includes(x));
        if (advisory.length) expect(decide(r, counted, checklist)).toEqual(o);
      }),
    );
  });
});

describe('checklist items', () => {
  const list = [item('QA sign-off', false), item('Security scan clean', false), item('Runbook reviewed', false)];
  it('are found by number, text or a unique prefix, and a miss lists the checklist', () => {
    expect(findItem(list, '2')).toBe(1);
    expect(findItem(list, 'Runbook reviewed')).toBe(2);
    expect(findItem(list, 'qa')).toBe(0);
    expect(() => findItem(list, 'x')).toThrow("no checklist item 'x' (1. QA sign-off; 2. Security scan clean; 3. Runbook reviewed)");
    expect(() => findItem([...list, item('QA notes', false)], 'QA')).toThrow(/'QA' matches 2 items/);
  });
});

describe('minutes', () => {
  it('record notes, the rule, every vote and the checklist', () => {
    const review = {
      kind: 'go-no-go',
      release: 'shop@1.0.0',
      checklist: [item('QA sign-off')],
      votes: [{ voter: 'bob', vote: 'go' as const, role: 'qa', comment: 'fine', at: '', counted: true }],
    };
    const o = decide(rule(), review.votes, review.checklist);
    expect(minutesOf(review, o, 'rm', 'All green.', '2026-11-26T10:00:00.000Z')).toBe(
      [
        'go-no-go review of shop@1.0.0, decided go by rm at 2026-11-26T10:00:00.000Z',
        '',
        'All green.',
        '',
        'Decision: go: unanimous rule, every counted vote is go, checklist done (1 go, 0 no-go, 0 abstain)',
        '',
        'Votes:',
        '- bob (qa): go — fine',
        '',
        'Checklist:',
        '- [x] QA sign-off (x)',
      ].join('\n'),
    );
  });
});
