import { AppError, formatDetail, isAppError } from '../platform/errors.js';

/** Prints either JSON (stable field names, for scripts) or the human form of a result. */
export async function emit(json: boolean, data: unknown, human: () => string | Promise<string>): Promise<void> {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${await human()}\n`);
}

type Cell = string | number | boolean | null | undefined;

/** A table for people; plain borders and no colour when the output is not a terminal. */
export async function table(head: string[], rows: Cell[][]): Promise<string> {
  if (rows.length === 0) return '(none)';
  const { default: Table } = await import('cli-table3');
  const tty = process.stdout.isTTY === true;
  const t = new Table({ head, style: tty ? { head: ['cyan'] } : { head: [], border: [] } });
  for (const r of rows) t.push(r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))));
  return t.toString();
}

export function fields(pairs: [string, Cell][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v === null || v === undefined || v === '' ? '-' : String(v)}`).join('\n');
}

/** Reports an error without a stack trace and returns the exit code it maps to. */
export function reportError(error: unknown, json: boolean): number {
  const e = isAppError(error) ? error : new AppError('internal', `unexpected error: ${(error as Error)?.message ?? String(error)}`);
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: { code: e.code, message: e.message, details: e.details } }, null, 2)}\n`);
  } else {
    process.stderr.write(`error: ${e.message}\n`);
    for (const d of e.details) process.stderr.write(`  ${formatDetail(d)}\n`);
  }
  if (!isAppError(error) && process.env.RAILYARD_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
  return e.exitCode;
}
