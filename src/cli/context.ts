import { userInfo } from 'node:os';
import { type Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { type Client, connect } from './client.js';
import { reportError } from './output.js';

export interface GlobalOptions {
  db: string;
  json: boolean;
  server?: string;
  token?: string;
  as?: string;
}

export function globalsOf(command: { optsWithGlobals(): unknown }): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

export function defaultActor(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/**
 * Runs a command's body with a connected client, closes it, and turns any failure into a message and an
 * exit code (never a stack trace).
 */
export async function withClient(
  command: { optsWithGlobals(): unknown },
  body: (client: Client, g: GlobalOptions) => Promise<number | undefined>,
): Promise<void> {
  const g = globalsOf(command);
  let client: Client | undefined;
  try {
    client = await connect({ db: g.db, server: g.server, token: g.token, as: g.as ?? defaultActor() });
    process.exitCode = (await body(client, g)) ?? 0;
  } catch (error) {
    process.exitCode = reportError(error, g.json);
  } finally {
    await client?.close().catch(() => {});
  }
}

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return n;
}

export type Program = Command<[], Record<string, unknown>, Record<string, unknown>>;
