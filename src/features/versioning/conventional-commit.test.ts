import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommitMessage } from './conventional-commit.js';

describe('conventional commit headers', () => {
  it('reads type, scope, ! and subject', () => {
    expect(parseCommitMessage('feat(api)!: drop v1 endpoints\n')).toMatchObject({
      type: 'feat',
      scope: 'api',
      breaking: true,
      subject: 'drop v1 endpoints',
      conventional: true,
    });
    expect(parseCommitMessage('fix: handle empty cart')).toMatchObject({
      type: 'fix',
      scope: null,
      breaking: false,
      subject: 'handle empty cart',
    });
  });

  it('treats types case-insensitively, as the specification asks', () => {
    expect(parseCommitMessage('FEAT(UI): Dark mode')).toMatchObject({ type: 'feat', scope: 'UI', subject: 'Dark mode' });
  });

  it('keeps a message that is not a conventional commit as other, with its whole first line', () => {
    for (const header of ['Update README', 'feat add thing', 'feat:missing space', 'fix(api: unbalanced', ': nothing']) {
      expect(parseCommitMessage(header)).toMatchObject({ type: 'other', conventional: false, subject: header });
    }
  });

  it('takes the PR number of a squash merge off the subject', () => {
    expect(parseCommitMessage('feat(cart): add coupons (#123)')).toMatchObject({ subject: 'add coupons', pr: 123 });
    expect(parseCommitMessage('Merge pull request #77 from acme/feature')).toMatchObject({ type: 'other', pr: 77 });
  });

  it('reads closing keywords in the body and subject as issue links, not other repositories', () => {
    const m = parseCommitMessage(
      'fix: crash on login (closes #9)\n\nSome words about #5.\n\nCloses #45, #46\nFixes: #7\nRefs: #12\nresolves acme/other#99',
    );
    expect(m.issues.sort((a, b) => a - b)).toEqual([7, 9, 12, 45, 46]);
  });
});

describe('conventional commit footers', () => {
  it('marks breaking changes from BREAKING CHANGE and BREAKING-CHANGE footers and keeps their text', () => {
    const m = parseCommitMessage('feat: new config\n\nBody text.\n\nBREAKING CHANGE: the `port` key moved\nunder `server`.\nRefs: #3\n');
    expect(m).toMatchObject({ breaking: true, breakingNote: 'the `port` key moved\nunder `server`.', issues: [3] });
    expect(parseCommitMessage('fix: x\n\nBREAKING-CHANGE: y')).toMatchObject({ breaking: true, breakingNote: 'y' });
    expect(parseCommitMessage('fix: x\n\nbreaking change: not the token')).toMatchObject({ breaking: false });
  });

  it('collects Co-authored-by names', () => {
    const m = parseCommitMessage('feat: pair work\n\nCo-authored-by: Ada Lovelace <ada@example.com>\nco-authored-by: Bob <b@x>\n');
    expect(m.coAuthors).toEqual(['Ada Lovelace', 'Bob']);
  });

  it('handles CRLF line endings', () => {
    expect(parseCommitMessage('feat(x): y\r\n\r\nBREAKING CHANGE: z\r\n')).toMatchObject({
      type: 'feat',
      breaking: true,
      breakingNote: 'z',
    });
  });
});

describe('reverts', () => {
  it("reads git's revert message: the quoted header and the reverted hash", () => {
    const m = parseCommitMessage('Revert "feat: add coupons"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n');
    expect(m).toMatchObject({
      type: 'revert',
      subject: 'feat: add coupons',
      reverts: { hash: '0123456789abcdef0123456789abcdef01234567', header: 'feat: add coupons' },
    });
  });

  it('reads a conventional revert: with Refs: hash', () => {
    expect(parseCommitMessage('revert: feat: add coupons\n\nRefs: 0123abc')).toMatchObject({
      type: 'revert',
      reverts: { hash: '0123abc', header: 'feat: add coupons' },
    });
  });

  it('reads a reapply as the change it brings back, reverting the revert', () => {
    const m = parseCommitMessage('Reapply "feat: add coupons"\n\nThis reverts commit abcdef0123456.\n');
    expect(m).toMatchObject({ type: 'feat', subject: 'add coupons', reverts: { hash: 'abcdef0123456' } });
  });
});

describe('parser properties', () => {
  const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const text = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,.'-]{0,40}[A-Za-z0-9.]$/);

  it('never throws, whatever the message', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (s) => {
        const m = parseCommitMessage(s);
        expect(typeof m.type).toBe('string');
      }),
    );
  });

  it('reads back every header it is given: type(scope)!: subject (#pr)', () => {
    fc.assert(
      fc.property(
        word,
        fc.option(word, { nil: null }),
        fc.boolean(),
        text,
        fc.option(fc.nat(99999), { nil: null }),
        (type, scope, bang, subject, pr) => {
          const header = `${type}${scope ? `(${scope})` : ''}${bang ? '!' : ''}: ${subject}${pr === null ? '' : ` (#${pr})`}`;
          const m = parseCommitMessage(`${header}\n\nbody line\n`);
          if (type === 'revert') return;
          expect(m).toMatchObject({ type, scope, breaking: bang, subject: subject.trim(), pr, conventional: true });
        },
      ),
    );
  });

  it('is breaking exactly when the header has ! or a BREAKING CHANGE footer is present', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(text, { maxLength: 5 }), (bang, footer, body) => {
        const msg = `feat${bang ? '!' : ''}: x\n\n${body.join('\n')}\n\n${footer ? 'BREAKING CHANGE: y\n' : ''}`;
        expect(parseCommitMessage(msg).breaking).toBe(bang || footer);
      }),
    );
  });

  it('reads a 10,000-line body in linear time', () => {
    const body = Array.from({ length: 10_000 }, (_, i) => `line ${i} with some words and #${i} mentioned`).join('\n');
    const start = performance.now();
    const m = parseCommitMessage(`fix: big\n\n${body}\n\nCloses #1`);
    expect(performance.now() - start).toBeLessThan(200);
    expect(m.issues).toEqual([1]);
  });
});
