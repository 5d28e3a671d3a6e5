import { SaxesParser } from 'saxes';
import { AppError } from '../../platform/errors.js';
import { round, type TestFacts } from './evidence.js';

const MAX_FAILING = 50;

/**
 * Reads a JUnit XML report as it streams in (vitest, jest-junit, pytest, surefire and go-junit-report all
 * write this shape): memory stays flat however large the report. Counts come from the test cases, not from
 * the suites' attributes, which some writers leave out or get wrong.
 */
export async function parseJunit(chunks: AsyncIterable<string>, file = 'report'): Promise<TestFacts> {
  const parser = new SaxesParser({ position: true });
  const facts: TestFacts = { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, durationSeconds: 0, failing: [] };
  let inCase: { name: string; outcome: 'passed' | 'failed' | 'error' | 'skipped' } | null = null;
  let sawRoot = false;
  let rootTime: number | null = null;
  let caseTime = 0;
  let error: Error | null = null;
  parser.on('error', (e) => {
    error ??= e;
  });
  parser.on('opentag', (tag) => {
    const name = tag.name;
    if (!sawRoot) {
      sawRoot = true;
      if (name !== 'testsuites' && name !== 'testsuite') {
        error ??= new Error(`${parser.line}:${parser.column}: root element is <${name}>, expected <testsuites> or <testsuite>`);
      }
      const t = Number(tag.attributes.time);
      if (Number.isFinite(t)) rootTime = t;
    }
    if (name === 'testcase') {
      const cls = String(tag.attributes.classname ?? '');
      const n = String(tag.attributes.name ?? '');
      inCase = { name: cls ? `${cls} > ${n}` : n, outcome: 'passed' };
      const t = Number(tag.attributes.time);
      if (Number.isFinite(t)) caseTime += t;
    } else if (inCase) {
      if (name === 'failure' && inCase.outcome === 'passed') inCase.outcome = 'failed';
      else if (name === 'error' && inCase.outcome === 'passed') inCase.outcome = 'error';
      else if (name === 'skipped') inCase.outcome = 'skipped';
    }
  });
  parser.on('closetag', (tag) => {
    if (tag.name !== 'testcase' || !inCase) return;
    facts.total++;
    if (inCase.outcome === 'passed') facts.passed++;
    else if (inCase.outcome === 'skipped') facts.skipped++;
    else {
      facts.failed++;
      if (inCase.outcome === 'error') facts.errors++;
      if (facts.failing.length < MAX_FAILING) facts.failing.push(inCase.name);
    }
    inCase = null;
  });
  for await (const chunk of chunks) {
    parser.write(chunk);
    if (error) break;
  }
  if (!error) parser.close();
  if (error) throw malformed(file, 'JUnit XML', error as Error);
  if (!sawRoot) throw new AppError('bad_request', `${file}: not a JUnit XML report (no elements)`);
  facts.durationSeconds = round(rootTime ?? caseTime);
  return facts;
}

/** saxes reports `line:column: message`; we keep its position and say what kind of file it was. */
export function malformed(file: string, what: string, error: Error): AppError {
  const m = /^(\d+):(\d+): (.*)$/s.exec(error.message);
  const line = m ? Number(m[1]) : undefined;
  const column = m ? Number(m[2]) : undefined;
  const message = (m?.[3] ?? error.message).split('\n')[0] ?? '';
  return new AppError('bad_request', `${file}: malformed ${what}${line ? ` at line ${line}` : ''}: ${message}`, [
    { file, line, column, message },
  ]);
}
