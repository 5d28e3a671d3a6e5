import { describe, expect, it } from 'vitest';
import { parseCobertura, parseIstanbulSummary, parseLcov } from './coverage.js';
import { combineEvidence, type Evidence } from './evidence.js';
import { parseJunit } from './junit.js';
import { parseSarif } from './sarif.js';

async function* chunks(text: string, size = 7): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe('JUnit XML', () => {
  it('counts test cases whatever the chunk boundaries, errors as failures, and names the failing ones', async () => {
    const xml = `<?xml version="1.0"?>
<testsuites time="1.5">
  <testsuite name="a"><testcase classname="cart" name="adds" time="0.5"/>
    <testcase classname="cart" name="removes"><failure message="boom">trace</failure></testcase>
    <testcase name="crashes"><error/></testcase>
    <testcase name="later"><skipped/></testcase>
  </testsuite>
</testsuites>`;
    expect(await parseJunit(chunks(xml))).toEqual({
      total: 4,
      passed: 1,
      failed: 2,
      errors: 1,
      skipped: 1,
      durationSeconds: 1.5,
      failing: ['cart > removes', 'crashes'],
    });
  });

  it('accepts a lone <testsuite> root and sums case times when the root has none', async () => {
    const facts = await parseJunit(chunks('<testsuite><testcase name="a" time="0.25"/><testcase name="b" time="0.5"/></testsuite>'));
    expect(facts).toMatchObject({ total: 2, passed: 2, durationSeconds: 0.75 });
  });

  it('names the line of malformed XML', async () => {
    const xml = '<testsuites>\n  <testsuite>\n    <testcase name="a">\n  </testsuite>\n</testsuites>\n';
    await expect(parseJunit(chunks(xml), 'report.xml')).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/^report\.xml: malformed JUnit XML at line 4: /),
      details: [expect.objectContaining({ file: 'report.xml', line: 4 })],
    });
  });

  it('refuses XML that is not a JUnit report, and an empty file', async () => {
    await expect(parseJunit(chunks('<coverage line-rate="1"/>'), 'x.xml')).rejects.toThrow(/root element is <coverage>/);
    await expect(parseJunit(chunks(''), 'x.xml')).rejects.toThrow(/x\.xml: /);
  });

  it('streams a 100 MB report with flat memory', async () => {
    const testcase = '<testcase classname="suite.module" name="does a thing that takes a while to describe" time="0.001"/>\n';
    const target = 100 * 1024 * 1024;
    const perChunk = 1000;
    const count = Math.ceil(target / testcase.length / perChunk) * perChunk;
    async function* report(): AsyncGenerator<string> {
      yield '<testsuites><testsuite name="big">\n';
      const block = testcase.repeat(perChunk);
      for (let i = 0; i < count / perChunk; i++) yield block;
      yield '<testcase name="broken"><failure/></testcase></testsuite></testsuites>\n';
    }
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 5);
    const facts = await parseJunit(report());
    clearInterval(timer);
    expect(facts).toMatchObject({ total: count + 1, failed: 1, failing: ['broken'] });
    expect(count * testcase.length).toBeGreaterThan(target);
    // Holding the report would take well over 200 MB of heap (UTF-16); streaming stays within a few chunks.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});

describe('coverage', () => {
  it('lcov: totals over source files, streamed', async () => {
    const lcov = 'TN:\nSF:a.ts\nFNF:4\nFNH:3\nBRF:4\nBRH:2\nLF:10\nLH:9\nend_of_record\nSF:b.ts\nLF:10\nLH:7\nend_of_record\n';
    expect(await parseLcov(chunks(lcov, 5))).toEqual({ lines: 80, branches: 50, functions: 75 });
  });

  it('lcov: names the line of a malformed entry', async () => {
    await expect(parseLcov(chunks('SF:a.ts\nLF:ten\nend_of_record\n'), 'lcov.info')).rejects.toMatchObject({
      message: 'lcov.info: malformed lcov at line 2: LF is not a number',
    });
    await expect(parseLcov(chunks('<html>'), 'lcov.info')).rejects.toThrow(/malformed lcov at line 1/);
  });

  it('Cobertura: rates from the root, branch rate absent when there are no branches', async () => {
    expect(await parseCobertura(chunks('<coverage line-rate="0.8123" branch-rate="0.5" branches-valid="4"/>'))).toEqual({
      lines: 81.23,
      branches: 50,
    });
    expect(await parseCobertura(chunks('<coverage line-rate="1" branch-rate="0" branches-valid="0"></coverage>'))).toEqual({ lines: 100 });
    await expect(parseCobertura(chunks('<coverage line-rate="1">\n<oops>\n</coverage>'), 'c.xml')).rejects.toThrow(
      /c\.xml: malformed Cobertura XML at line 3/,
    );
  });

  it('istanbul summary: the total percentages; malformed JSON names the line and column', () => {
    expect(parseIstanbulSummary('{"total":{"lines":{"pct":90},"branches":{"pct":"Unknown"}}}')).toEqual({ lines: 90 });
    expect(() => parseIstanbulSummary('{\n  "total": {\n    "lines": {"pct": 9,}\n  }\n}', 's.json')).toThrow(
      /^s\.json: malformed JSON at line 3, column 24: Expected double-quoted property name/,
    );
    expect(() => parseIstanbulSummary('{"files": {}}', 's.json')).toThrow(/no "total" entry/);
  });
});

describe('SARIF 2.1.0', () => {
  it('counts by level (defaulting to the rule’s level, else warning) and by rule', () => {
    const log = {
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 't', rules: [{ id: 'R1', defaultConfiguration: { level: 'error' } }, { id: 'R2' }] } },
          results: [{ ruleId: 'R1' }, { ruleId: 'R2' }, { ruleIndex: 1, level: 'note' }, { ruleId: 'R3', kind: 'pass' }],
        },
      ],
    };
    expect(parseSarif(JSON.stringify(log))).toEqual({ error: 1, warning: 1, note: 1, none: 1, total: 4, rules: { R1: 1, R2: 2, R3: 1 } });
  });

  it('refuses other versions and malformed JSON with its line', () => {
    expect(() => parseSarif('{"version": "2.0.0", "runs": []}', 'x.sarif')).toThrow(/not a SARIF 2\.1\.0 log/);
    expect(() => parseSarif('{\n"version": "2.1.0",\n"runs": [\n}', 'x.sarif')).toThrow(/x\.sarif: malformed JSON at line 4/);
  });
});

describe('combining evidence', () => {
  const e = (kind: Evidence['kind'], source: string, facts: object, at: string): Evidence => ({
    id: at,
    release: 'shop@1.0.0',
    kind,
    source,
    facts: facts as Evidence['facts'],
    digest: '',
    actor: 'ci',
    createdAt: at,
    supersededAt: null,
  });

  it('adds tests and findings over sources, takes the lowest coverage, fails CI when one source failed', () => {
    const combined = combineEvidence([
      e('junit', 'unit', { total: 10, passed: 9, failed: 1, errors: 0, skipped: 0, durationSeconds: 1, failing: ['a'] }, '1'),
      e('junit', 'e2e', { total: 5, passed: 5, failed: 0, errors: 0, skipped: 0, durationSeconds: 2, failing: [] }, '2'),
      e('lcov', 'lcov', { lines: 90, branches: 70 }, '3'),
      e('cobertura', 'py', { lines: 80 }, '4'),
      e('ci', 'github', { status: 'pass', url: 'u1' }, '5'),
      e('ci', 'gitlab', { status: 'fail', url: null }, '6'),
      e('signoff', 'signoff:qa', { role: 'qa', by: 'quinn', comment: '' }, '7'),
      e('custom', 'custom', { perf: 3 }, '8'),
    ]);
    expect(combined).toEqual({
      tests: { total: 15, passed: 14, failed: 1, errors: 0, skipped: 0, durationSeconds: 3, failing: ['a'] },
      coverage: { lines: 80, branches: 70 },
      ci: { status: 'fail', passed: false, failedSources: ['gitlab'], urls: ['u1'] },
      signoffs: { qa: { by: 'quinn', at: '7', comment: '' } },
      custom: { perf: 3 },
    });
  });
});
