/**
 * Conventional Commits 1.0.0 (https://www.conventionalcommits.org/en/v1.0.0/), read from a commit message:
 * `type(scope)!: subject`, a body, footers (`BREAKING CHANGE:`, `BREAKING-CHANGE:`, `Refs:`, `Co-authored-by:`),
 * git's revert messages, squash-merge PR numbers `(#123)` and `Closes #45` issue links. A message that is
 * not a conventional commit is kept as type `other`, never dropped. One pass over the text; no regular
 * expression runs over the whole body more than once, so a 10,000-line body costs what its length does.
 */
export interface CommitMessage {
  /** Lower-case type of a conventional commit; `other` for every other message. */
  type: string;
  scope: string | null;
  /** The description after `type(scope): `, without a trailing `(#123)`; the whole first line otherwise. */
  subject: string;
  conventional: boolean;
  breaking: boolean;
  /** The text of the BREAKING CHANGE footer(s), or null. */
  breakingNote: string | null;
  /** Pull/merge request number: `(#123)` at the end of the subject, or `Merge pull request #123`. */
  pr: number | null;
  /** Issues it closes or refers to: `Closes #45`, `Fixes #7`, `Refs: #12`. */
  issues: number[];
  /** Names from `Co-authored-by:` footers. */
  coAuthors: string[];
  /** What this commit reverts, when it is a revert: the commit hash and/or the reverted first line. */
  reverts: { hash: string | null; header: string | null } | null;
}

const HEADER = /^([A-Za-z][A-Za-z0-9_-]*)(?:\(([^()\r\n]*)\))?(!)?:[ \t]+(\S.*)$/;
const PR_SUFFIX = /^\(#(\d+)\)$/;
const MERGE_PR = /^Merge pull request #(\d+)\b/;
const GIT_REVERT = /^(Revert|Reapply) "(.*)"\s*$/;
const REVERTS_COMMIT = /\bThis reverts commit ([0-9a-f]{7,64})\b/;
const CLOSES = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)(?::)?[ \t]+((?:[\w.-]+\/[\w.-]+)?#\d+(?:[ \t]*,[ \t]*(?:and[ \t]+)?#\d+)*)/gi;
const FOOTER_TOKEN = /^(?:BREAKING[ -]CHANGE|[A-Za-z][A-Za-z0-9-]*)(?::[ \t]|[ \t]#)/;
const BREAKING_FOOTER = /^BREAKING[ -]CHANGE:[ \t]*(.*)$/;
const REFS_FOOTER = /^Refs?:[ \t]*(.*)$/i;
const CO_AUTHOR = /^Co-authored-by:[ \t]*(.*?)[ \t]*(?:<[^>]*>)?[ \t]*$/i;

export function parseCommitMessage(message: string): CommitMessage {
  const text = message.includes('\r') ? message.replace(/\r\n?/g, '\n') : message;
  const nl = text.indexOf('\n');
  const header = (nl === -1 ? text : text.slice(0, nl)).trim();
  const body = nl === -1 ? '' : text.slice(nl + 1);

  const result: CommitMessage = {
    type: 'other',
    scope: null,
    subject: header,
    conventional: false,
    breaking: false,
    breakingNote: null,
    pr: null,
    issues: [],
    coAuthors: [],
    reverts: null,
  };

  const gitRevert = GIT_REVERT.exec(header);
  const inner = gitRevert?.[2] ?? null;
  const m = HEADER.exec(inner !== null && gitRevert?.[1] === 'Reapply' ? inner : header);
  if (gitRevert && gitRevert[1] === 'Revert') {
    result.type = 'revert';
    result.subject = inner ?? header;
    result.reverts = { hash: null, header: inner };
  } else if (m) {
    result.type = (m[1] ?? 'other').toLowerCase();
    result.scope = m[2]?.trim() || null;
    result.breaking = m[3] === '!';
    result.subject = (m[4] ?? '').trim();
    result.conventional = true;
    if (result.type === 'revert') result.reverts = { hash: null, header: result.subject };
    if (gitRevert) result.reverts = { hash: null, header: null };
  }

  // `(#123)` at the end: looked up from the end, as a regular expression anchored at $ scans from every position.
  const open = result.subject.endsWith(')') ? result.subject.lastIndexOf('(#') : -1;
  const pr = open === -1 ? null : PR_SUFFIX.exec(result.subject.slice(open));
  if (pr) {
    result.pr = Number(pr[1]);
    result.subject = result.subject.slice(0, open).trim() || result.subject;
  } else {
    const merge = MERGE_PR.exec(header);
    if (merge) result.pr = Number(merge[1]);
  }

  if (body) readBody(body, result);
  const subjectIssues = result.subject.includes('#') ? issueNumbers(result.subject) : [];
  if (subjectIssues.length) result.issues = unique([...subjectIssues, ...result.issues]);
  return result;
}

/** Footers, breaking notes, revert targets, co-authors and issue links from the body, line by line. */
function readBody(body: string, result: CommitMessage): void {
  // Most bodies are prose: when none of the markers occurs anywhere, no line needs a closer look.
  const hasHash = body.includes('#');
  if (
    !hasHash &&
    !body.includes('BREAKING') &&
    !body.includes('uthored-by') &&
    !/ef(s)?:/i.test(body) &&
    !body.includes('This reverts commit')
  ) {
    return;
  }
  const notes: string[] = [];
  const issues: number[] = [];
  let inBreaking = false;
  for (let start = 0; start < body.length; ) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    const line = body.slice(start, end).trimEnd();
    start = end + 1;
    if (inBreaking) {
      if (line === '' || FOOTER_TOKEN.test(line)) inBreaking = false;
      else {
        notes[notes.length - 1] += `\n${line}`;
        continue;
      }
    }
    if (line === '') continue;
    const first = line.charCodeAt(0);
    if (first === 66 /* B */ && line.startsWith('BREAKING')) {
      const b = BREAKING_FOOTER.exec(line);
      if (b) {
        result.breaking = true;
        notes.push((b[1] ?? '').trim());
        inBreaking = true;
        continue;
      }
    }
    if ((first === 67 || first === 99) /* C c */ && /^co-authored-by:/i.test(line)) {
      const name = CO_AUTHOR.exec(line)?.[1];
      if (name) result.coAuthors.push(name);
      continue;
    }
    if ((first === 82 || first === 114) /* R r */ && /^refs?:/i.test(line)) {
      const value = REFS_FOOTER.exec(line)?.[1] ?? '';
      for (const n of value.matchAll(/#(\d+)/g)) issues.push(Number(n[1]));
      const hash = /\b([0-9a-f]{7,64})\b/.exec(value)?.[1];
      if (hash && result.reverts && !result.reverts.hash) result.reverts.hash = hash;
      continue;
    }
    if (first === 84 /* T */ && line.startsWith('This reverts commit')) {
      const hash = REVERTS_COMMIT.exec(line)?.[1];
      if (hash) result.reverts = { hash, header: result.reverts?.header ?? null };
      continue;
    }
    if (hasHash && line.includes('#')) issues.push(...issueNumbers(line));
  }
  if (notes.length) result.breakingNote = notes.filter(Boolean).join('\n\n') || null;
  if (issues.length) result.issues = unique(issues);
}

/** `#12` numbers that follow a closing keyword (`closes`, `fixes`, `resolves` and their forms). */
function issueNumbers(text: string): number[] {
  const found: number[] = [];
  for (const m of text.matchAll(CLOSES)) {
    // `owner/repo#12` names an issue of another repository: no link of ours fits it.
    if (!m[1]?.startsWith('#')) continue;
    for (const n of m[1].matchAll(/#(\d+)/g)) found.push(Number(n[1]));
  }
  return found;
}

function unique(values: number[]): number[] {
  return [...new Set(values)];
}
