import { SaxesParser } from 'saxes';
import { AppError } from '../../platform/errors.js';
import { type CoverageFacts, round } from './evidence.js';
import { malformed } from './junit.js';

const pct = (hit: number, found: number): number | undefined => (found > 0 ? round((hit / found) * 100, 2) : undefined);

/** lcov tracefiles (`LF`/`LH`, `BRF`/`BRH`, `FNF`/`FNH` per source file), read line by line as they stream. */
export async function parseLcov(chunks: AsyncIterable<string>, file = 'lcov.info'): Promise<CoverageFacts> {
  const t = { LF: 0, LH: 0, BRF: 0, BRH: 0, FNF: 0, FNH: 0 };
  let records = 0;
  let lineNo = 0;
  let rest = '';
  const take = (line: string) => {
    lineNo++;
    const s = line.trim();
    if (!s) return;
    if (s === 'end_of_record') {
      records++;
      return;
    }
    const colon = s.indexOf(':');
    const key = colon > 0 ? s.slice(0, colon) : s;
    if (!/^[A-Z]+$/.test(key)) {
      throw new AppError('bad_request', `${file}: malformed lcov at line ${lineNo}: expected KEY:VALUE, got '${s.slice(0, 40)}'`, [
        { file, line: lineNo, column: 1, message: `expected KEY:VALUE, got '${s.slice(0, 40)}'` },
      ]);
    }
    if (key in t) {
      const n = Number(s.slice(colon + 1));
      if (!Number.isFinite(n)) {
        throw new AppError('bad_request', `${file}: malformed lcov at line ${lineNo}: ${key} is not a number`, [
          { file, line: lineNo, column: colon + 2, message: `${key} is not a number` },
        ]);
      }
      t[key as keyof typeof t] += n;
    }
  };
  for await (const chunk of chunks) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) take(l);
  }
  take(rest);
  if (records === 0) throw new AppError('bad_request', `${file}: not an lcov tracefile (no end_of_record)`);
  return dropUndefined({ lines: pct(t.LH, t.LF), branches: pct(t.BRH, t.BRF), functions: pct(t.FNH, t.FNF) });
}

/** Cobertura XML: the totals on the root `<coverage>` element (line-rate, branch-rate); streamed. */
export async function parseCobertura(chunks: AsyncIterable<string>, file = 'coverage.xml'): Promise<CoverageFacts> {
  const parser = new SaxesParser({ position: true });
  let facts: CoverageFacts | null = null;
  let error: Error | null = null;
  parser.on('error', (e) => {
    error ??= e;
  });
  parser.on('opentag', (tag) => {
    if (facts !== null || error) return;
    if (tag.name !== 'coverage') {
      error = new Error(`${parser.line}:${parser.column}: root element is <${tag.name}>, expected <coverage>`);
      return;
    }
    const rate = (name: string) => {
      const v = Number(tag.attributes[name]);
      return tag.attributes[name] !== undefined && Number.isFinite(v) ? round(v * 100, 2) : undefined;
    };
    const valid = Number(tag.attributes['branches-valid']);
    facts = dropUndefined({ lines: rate('line-rate'), branches: valid === 0 ? undefined : rate('branch-rate') });
  });
  for await (const chunk of chunks) {
    parser.write(chunk);
    if (error) break;
  }
  if (!error) parser.close();
  if (error) throw malformed(file, 'Cobertura XML', error);
  if (facts === null) throw new AppError('bad_request', `${file}: not a Cobertura report (no <coverage> element)`);
  return facts;
}

/** istanbul's `coverage-summary.json` (`json-summary` reporter): the `total` entry's percentages. */
export function parseIstanbulSummary(text: string, file = 'coverage-summary.json'): CoverageFacts {
  const doc = parseJson(text, file) as { total?: Record<string, { pct?: unknown }> };
  const total = doc?.total;
  if (!total || typeof total !== 'object') {
    throw new AppError('bad_request', `${file}: not an istanbul coverage summary (no "total" entry)`);
  }
  const metric = (name: string) => {
    const v = total[name]?.pct;
    return typeof v === 'number' ? v : undefined;
  };
  return dropUndefined({
    lines: metric('lines'),
    branches: metric('branches'),
    functions: metric('functions'),
    statements: metric('statements'),
  });
}

/** JSON.parse with the line and column of the first problem (Node names only the character offset). */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : text.length;
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    const column = offset - lineStart + 1;
    const why = message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/, '');
    throw new AppError('bad_request', `${file}: malformed JSON at line ${line}, column ${column}: ${why}`, [
      { file, line, column, message: why },
    ]);
  }
}

function dropUndefined(c: CoverageFacts): CoverageFacts {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as CoverageFacts;
}
