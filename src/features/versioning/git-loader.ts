import { spawn } from 'node:child_process';
import { AppError } from '../../platform/errors.js';
import { LOG_FORMAT, LogDecoder, type RawCommit } from './git-log.js';

/**
 * Everything Railyard asks of git, each as one `git` process: reads stream their output, nothing is
 * parsed from a porcelain that changes with the user's configuration (colours, signatures, pagers and
 * the locale are switched off for every call).
 */
const CONFIG = ['-c', 'log.showSignature=false', '-c', 'color.ui=never', '-c', 'core.quotePath=false'];
const ENV = { ...process.env, LC_ALL: 'C', LANG: 'C', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', GIT_OPTIONAL_LOCKS: '0' };

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git in `dir` to completion. Never throws for a non-zero exit: the caller decides what it means. */
export function runGit(dir: string, args: readonly string[], input?: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', dir, ...CONFIG, ...args], {
      env: ENV,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e) => reject(spawnError(e)));
    child.once('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

function spawnError(e: NodeJS.ErrnoException): AppError {
  return e.code === 'ENOENT'
    ? new AppError('bad_request', 'git is not installed (or not on PATH): Railyard reads versions and notes with the git program')
    : new AppError('internal', `could not run git: ${e.message}`);
}

/** git's own reason, first line, without the `fatal: ` prefix. */
export function gitReason(stderr: string): string {
  const line =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /^(fatal|error):/.test(l)) ??
    stderr.trim().split('\n')[0] ??
    '';
  return line.replace(/^(fatal|error):\s*/, '') || 'git failed';
}

export interface RepoInfo {
  top: string;
  shallow: boolean;
}

/**
 * The repository's top folder, whether it is a shallow clone, and (with `rev`) the commit the revision names,
 * null when it names none: one `git rev-parse`. A clear error when `dir` is not in a repository.
 */
export async function probeRepo(dir: string, rev?: string): Promise<RepoInfo & { commit: string | null }> {
  const args = ['rev-parse', '--show-toplevel', '--is-shallow-repository'];
  if (rev !== undefined && !rev.startsWith('-')) args.push('--verify', '-q', `${rev}^{commit}`);
  const r = await runGit(dir, args);
  const [top = dir, shallow = 'false', commit = ''] = r.stdout.trim().split('\n');
  if (r.code !== 0 && !(r.code === 1 && rev !== undefined)) {
    const reason = gitReason(r.stderr);
    if (/not a git repository/i.test(reason)) {
      throw new AppError('bad_request', `${dir} is not in a git repository: run railyard in a git checkout or pass --repo DIR`);
    }
    if (/cannot change to/i.test(reason)) throw new AppError('bad_request', `${dir}: no such folder`);
    if (/bare repository|must be run in a work tree/i.test(reason)) {
      throw new AppError('bad_request', `${dir} is a bare repository: pass --repo with a checkout (a folder with files)`);
    }
    throw new AppError('bad_request', `${dir}: ${reason}`);
  }
  return { top, shallow: shallow.trim() === 'true', commit: /^[0-9a-f]{40,64}$/.test(commit) ? commit : null };
}

/** Committer time of a commit, seconds since the epoch. */
export async function commitTime(dir: string, commit: string): Promise<number> {
  const r = await runGit(dir, ['log', '-1', '--no-walk', '--format=%ct', commit, '--']);
  return Number(r.stdout.trim()) || 0;
}

export interface CommitInfo {
  hash: string;
  /** Committer time, seconds since the epoch. */
  time: number;
}

/** The commit a revision names, or null when it names none. */
export async function resolveCommit(dir: string, rev: string): Promise<CommitInfo | null> {
  if (rev.startsWith('-')) return null;
  const r = await runGit(dir, ['log', '-1', '--no-walk', '--format=%H %ct', '--end-of-options', rev, '--']);
  if (r.code !== 0) return null;
  const [hash = '', time = '0'] = r.stdout.trim().split(' ');
  return hash ? { hash, time: Number(time) } : null;
}

export interface TagRef {
  name: string;
  /** The commit the tag points at (annotated tags are peeled). */
  commit: string;
}

/**
 * Tags matching a `refs/tags/…` pattern; with `mergedInto`, only those reachable from that commit. The
 * reachability filter walks the whole history when there is no commit-graph, so callers that need only the
 * latest reachable release check a few candidates with isAncestor instead.
 */
export async function listTags(dir: string, pattern: string, mergedInto?: string): Promise<TagRef[]> {
  const args = ['for-each-ref', '--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)'];
  if (mergedInto) args.push(`--merged=${mergedInto}`);
  const r = await runGit(dir, [...args, pattern]);
  if (r.code !== 0) throw new AppError('bad_request', `cannot list tags: ${gitReason(r.stderr)}`);
  const tags: TagRef[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const [name = '', object = '', peeled = ''] = line.split('\0');
    tags.push({ name, commit: peeled || object });
  }
  return tags;
}

/** Whether commit `a` is an ancestor of (or the same as) commit `b`; false when either is missing (shallow clones). */
export async function isAncestor(dir: string, a: string, b: string): Promise<boolean> {
  return (await runGit(dir, ['merge-base', '--is-ancestor', a, b])).code === 0;
}

/** The URL of the `origin` remote (or of the only remote), or null. */
export async function remoteUrl(dir: string): Promise<string | null> {
  const r = await runGit(dir, ['config', '--get-regexp', '^remote\\..*\\.url$']);
  if (r.code !== 0) return null;
  const remotes = r.stdout
    .trim()
    .split('\n')
    .map((l) => /^remote\.(.+)\.url (.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  return (remotes.find((m) => m[1] === 'origin') ?? remotes[0])?.[2] ?? null;
}

/**
 * Streams `git log` (one process) and hands each commit to `onCommit` as soon as it is read. Returning
 * `false` from `onCommit` stops the walk: git is stopped and the rest of the history is never read.
 */
export function streamLog(dir: string, args: readonly string[], onCommit: (c: RawCommit) => boolean | undefined): Promise<void> {
  return startLog(dir, args).read(onCommit);
}

/** How much of a started log's output is read before its reader is ready. */
const READ_AHEAD = 1 << 20;

/** A `git log` started before its reader is ready; git waits (its output pipe full) until `read` is called. */
export interface StartedLog {
  /** Hands each commit to `onCommit` as streamLog does; resolves when the history is read or the reader stopped. */
  read(onCommit: (c: RawCommit) => boolean | undefined): Promise<void>;
  /** Stops git without reading: the caller found it does not need the history after all. */
  stop(): void;
}

/**
 * Starts `git log` now and reads it later: git opens the repository and starts the walk while the caller
 * still asks git other questions (the tags the reader needs first).
 */
export function startLog(dir: string, args: readonly string[]): StartedLog {
  const child = spawn('git', ['-C', dir, ...CONFIG, 'log', '-z', '--encoding=UTF-8', LOG_FORMAT, ...args], {
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const err: Buffer[] = [];
  child.stderr.on('data', (d: Buffer) => err.push(d));
  // Output that comes before the reader is kept (Node discards what nobody reads once git exits), up to a
  // limit past which git waits on its full pipe.
  const early: Buffer[] = [];
  let earlyBytes = 0;
  let onChunk: ((chunk: Buffer) => void) | null = null;
  child.stdout.on('data', (chunk: Buffer) => {
    if (onChunk) return onChunk(chunk);
    early.push(chunk);
    earlyBytes += chunk.length;
    if (earlyBytes >= READ_AHEAD) child.stdout.pause();
  });
  const exited = new Promise<{ code: number | null; error: AppError | null }>((resolve) => {
    child.once('error', (e) => resolve({ code: null, error: spawnError(e) }));
    child.once('close', (code) => resolve({ code, error: null }));
  });
  const stop = () => {
    child.stdout.destroy();
    child.kill();
  };
  const read = async (onCommit: (c: RawCommit) => boolean | undefined): Promise<void> => {
    const decoder = new LogDecoder();
    let stopped = false;
    let failure: unknown = null;
    const deliver = (commits: RawCommit[]) => {
      for (const c of commits) {
        if (stopped) break;
        try {
          if (onCommit(c) === false) stopped = true;
        } catch (error) {
          failure = error;
          stopped = true;
        }
      }
      if (stopped) child.kill();
    };
    onChunk = (chunk) => {
      if (!stopped) deliver(decoder.push(chunk));
    };
    for (const chunk of early.splice(0)) onChunk(chunk);
    child.stdout.resume();
    const { code, error } = await exited;
    if (error) throw error;
    if (failure) throw failure;
    if (stopped) return;
    if (code !== 0) throw new AppError('bad_request', `git log failed: ${gitReason(Buffer.concat(err).toString('utf8'))}`);
    deliver(decoder.end());
    if (failure) throw failure;
  };
  return { read, stop };
}

/** Creates an annotated tag at a commit; the message is passed on standard input, so any text is safe. */
export async function createAnnotatedTag(dir: string, name: string, commit: string, message: string): Promise<void> {
  const r = await runGit(dir, ['tag', '-a', '-F', '-', '--end-of-options', name, commit], message);
  if (r.code !== 0) throw new AppError('bad_request', `could not create tag ${name}: ${gitReason(r.stderr)}`);
}
