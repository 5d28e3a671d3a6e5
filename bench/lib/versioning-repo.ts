import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { log } from './report.js';
import { CACHE_DIR } from './seed.js';
import { random } from './workload.js';

/** Folders of the generated monorepo; three of them are released on their own (`{name}@{version}` tags). */
export const PACKAGES = ['core', 'api', 'web', 'cli', 'docs'] as const;
export const PACKAGE_RELEASES = ['core', 'api', 'web'] as const;

export interface BenchRepo {
  dir: string;
  commits: number;
  /** `v{version}` tags, oldest first. */
  tags: string[];
  packageTags: number;
  /** railyard.yaml declaring the released packages as products (for `version --all`). */
  config: string;
}

const TYPES: [string, number][] = [
  ['feat', 25],
  ['fix', 30],
  ['chore', 12],
  ['docs', 8],
  ['refactor', 8],
  ['test', 6],
  ['ci', 4],
  ['perf', 4],
  ['build', 3],
];
const FREE_FORM = [
  'Update README',
  'WIP',
  'Fix typo',
  'Bump dependencies',
  'Address review comments',
  'Clean up',
  'Tweak styles on the checkout page',
  'More logging around retries',
  'Make the flaky test less flaky',
  'Initial pass at caching',
];
const WORDS =
  'cart checkout coupon price rounding cache login session token search index page layout retry queue export import report invoice tax currency locale upload image thumbnail payment refund webhook event audit metric'.split(
    ' ',
  );
const PEOPLE = Array.from({ length: 40 }, (_, i) => `Dev ${String.fromCharCode(65 + (i % 26))}${i >= 26 ? 'x' : ''} Person${i}`);

/**
 * Writes a history like a busy product's: `commits` commits over five package folders, ~65% conventional
 * (scopes, `(#123)` squash suffixes, bodies, `Closes #N`, rare BREAKING CHANGE footers and `!`), the rest
 * free-form; a merged pull request (merge commit over a 2–4 commit branch) every ~12 commits; git-style
 * reverts of recent commits; `v{version}` tags evenly spread (`tagEvery` commits) plus `{name}@{version}`
 * tags of three packages; and a few unreleased commits after the last tag. One `git fast-import` stream;
 * revert messages name real hashes, asked of fast-import as the stream is written (`get-mark`).
 */
async function generate(dir: string, commits: number, tagEvery: number): Promise<Omit<BenchRepo, 'dir' | 'config'>> {
  spawnSync('git', ['init', '-q', '-b', 'main', dir], { stdio: 'inherit' });
  const child = spawn('git', ['fast-import', '--quiet', '--cat-blob-fd=3', '--done'], {
    cwd: dir,
    stdio: ['pipe', 'inherit', 'inherit', 'pipe'],
  });
  const input = child.stdin as Writable;
  const marks = readLines(child.stdio[3] as Readable);
  const rnd = random(commits);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const weighted = () => {
    let r = rnd() * 100;
    for (const [t, w] of TYPES) {
      r -= w;
      if (r < 0) return t;
    }
    return 'chore';
  };
  let buffer = '';
  const write = async (s: string) => {
    buffer += s;
    if (buffer.length > 1 << 20) await flush();
  };
  const flush = async () => {
    const chunk = buffer;
    buffer = '';
    if (!input.write(chunk)) await new Promise((r) => input.once('drain', r));
  };
  let mark = 0;
  let time = Date.parse('2019-01-07T09:00:00Z') / 1000;
  let pr = 100;
  let made = 0;
  const recent: { mark: number; header: string }[] = [];
  const version = [0, 1, 0];
  const pkgVersion = new Map<string, number[]>(PACKAGE_RELEASES.map((p) => [p, [0, 1, 0]]));
  const tags: string[] = [];
  let packageTags = 0;
  let mainTip = 0;

  const message = (): string => {
    const pkg = pick(PACKAGES);
    if (rnd() < 0.35) return `${pick(FREE_FORM)}${rnd() < 0.3 ? ` in ${pkg}` : ''}\n`;
    const type = weighted();
    const scope = rnd() < 0.7 ? `(${pkg})` : '';
    const bang = rnd() < 0.003 ? '!' : '';
    const subject = `${pick(['add', 'handle', 'support', 'fix', 'speed up', 'remove', 'rework'])} ${pick(WORDS)} ${pick(WORDS)}`;
    const suffix = rnd() < 0.6 ? ` (#${pr++})` : '';
    const body: string[] = [];
    if (rnd() < 0.4)
      body.push(
        '',
        ...Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}.`),
      );
    if (rnd() < 0.01) body.push('', ...Array.from({ length: 200 }, (_, i) => `stack line ${i} at ${pick(WORDS)}.${pick(WORDS)}()`));
    const footers: string[] = [];
    if (rnd() < 0.15) footers.push(`Closes #${Math.floor(rnd() * pr)}`);
    if (rnd() < 0.002) footers.push(`BREAKING CHANGE: ${pick(WORDS)} ${pick(WORDS)} changed`);
    if (rnd() < 0.05) footers.push(`Co-authored-by: ${pick(PEOPLE)} <pair@example.com>`);
    return `${type}${scope}${bang}: ${subject}${suffix}\n${body.join('\n')}${footers.length ? `\n\n${footers.join('\n')}` : ''}\n`;
  };

  /** Files the topic branch changed: its merge commit carries them, as a real merge's tree would. */
  const topicFiles = new Map<string, string>();
  const commit = async (ref: string, text: string, parents: number[], files: number | Map<string, string>): Promise<number> => {
    mark++;
    time += 600 + Math.floor(rnd() * 5400);
    const who = pick(PEOPLE);
    const email = `${who.toLowerCase().replaceAll(' ', '.')}@example.com`;
    const data = Buffer.byteLength(text);
    let out = `commit ${ref}\nmark :${mark}\nauthor ${who} <${email}> ${time} +0000\ncommitter ${who} <${email}> ${time} +0000\ndata ${data}\n${text}\n`;
    parents.forEach((p, i) => {
      out += `${i === 0 ? 'from' : 'merge'} :${p}\n`;
    });
    const changes = typeof files === 'number' ? new Map<string, string>() : files;
    for (let f = 0; typeof files === 'number' && f < files; f++) {
      changes.set(`packages/${pick(PACKAGES)}/src/${pick(WORDS)}-${Math.floor(rnd() * 12)}.ts`, `${mark} ${pick(WORDS)}\n`);
    }
    for (const [path, content] of changes) out += `M 100644 inline ${path}\ndata ${content.length}\n${content}\n`;
    if (ref === 'refs/heads/topic') for (const [path, content] of changes) topicFiles.set(path, content);
    await write(out);
    made++;
    const nl = text.indexOf('\n');
    recent.push({ mark, header: nl === -1 ? text : text.slice(0, nl) });
    if (recent.length > 60) recent.shift();
    return mark;
  };

  const revert = async (): Promise<void> => {
    const target = recent[Math.floor(rnd() * (recent.length - 5))];
    if (!target || target.header.startsWith('Revert') || target.header.startsWith('Merge')) return;
    await write(`get-mark :${target.mark}\n`);
    await flush();
    const hash = (await marks.next()).trim();
    mainTip = await commit('refs/heads/main', `Revert "${target.header}"\n\nThis reverts commit ${hash}.\n`, [mainTip], 1);
  };

  const tag = async (name: string, at: number) => {
    const text = `Release ${name}\n`;
    await write(`tag ${name}\nfrom :${at}\ntagger Release Bot <bot@example.com> ${time} +0000\ndata ${text.length}\n${text}\n`);
  };

  mainTip = await commit('refs/heads/main', 'chore: initial commit\n', [], 3);
  const releasedUntil = commits - 15;
  let lastTag = 0;
  while (made < commits) {
    const r = rnd();
    if (r < 0.08 && made + 6 < commits) {
      const base = mainTip;
      let tip = base;
      for (let i = 0, n = 2 + Math.floor(rnd() * 3); i < n; i++)
        tip = await commit('refs/heads/topic', message(), [tip], 1 + Math.floor(rnd() * 2));
      if (rnd() < 0.5) mainTip = await commit('refs/heads/main', message(), [mainTip], 1);
      const merged = new Map(topicFiles);
      topicFiles.clear();
      mainTip = await commit(
        'refs/heads/main',
        `Merge pull request #${pr++} from acme/topic-${mark}\n\n${pick(WORDS)} ${pick(WORDS)}\n`,
        [mainTip, tip],
        merged,
      );
    } else if (r < 0.09 && recent.length > 10) {
      await revert();
    } else {
      mainTip = await commit('refs/heads/main', message(), [mainTip], 1 + Math.floor(rnd() * 3));
    }
    if (made <= releasedUntil && made - lastTag >= tagEvery) {
      lastTag = made;
      bump(version, tags.length);
      const name = `v${version.join('.')}`;
      tags.push(name);
      await tag(name, mainTip);
      if (tags.length % 3 === 0) {
        const pkg = PACKAGE_RELEASES[(tags.length / 3) % PACKAGE_RELEASES.length] as string;
        const v = pkgVersion.get(pkg) as number[];
        bump(v, tags.length);
        await tag(`${pkg}@${v.join('.')}`, mainTip);
        packageTags++;
      }
    }
  }
  await write('reset refs/heads/topic\nfrom 0000000000000000000000000000000000000000\n');
  await write('done\n');
  await flush();
  input.end();
  const code = await new Promise<number | null>((r) => child.once('close', r));
  if (code !== 0) throw new Error(`git fast-import exited ${code}`);
  spawnSync('git', ['update-ref', '-d', 'refs/heads/topic'], { cwd: dir });
  spawnSync('git', ['checkout', '-q', '-f', 'main'], { cwd: dir, stdio: 'inherit' });
  // Refs as a clone has them (git clone writes packed-refs; git gc packs refs): fast-import leaves one file
  // per tag, which makes every tag listing — ours and the peers' — read a thousand files.
  spawnSync('git', ['pack-refs', '--all'], { cwd: dir, stdio: 'inherit' });
  return { commits: made, tags, packageTags };
}

/** Mostly patch releases, a minor one in four, a major one in two hundred. */
function bump(v: number[], n: number): void {
  if (n % 200 === 199) v.splice(0, 3, (v[0] ?? 0) + 1, 0, 0);
  else if (n % 4 === 3) v.splice(1, 2, (v[1] ?? 0) + 1, 0);
  else v[2] = (v[2] ?? 0) + 1;
}

/** Reads fast-import's answers (one line per `get-mark`) as they come. */
function readLines(stream: Readable): { next(): Promise<string> } {
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    for (let nl = rest.indexOf('\n'); nl !== -1; nl = rest.indexOf('\n')) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  return { next: () => new Promise((resolve) => (lines.length ? resolve(lines.shift() as string) : waiting.push(resolve))) };
}

function fingerprint(): string {
  return createHash('sha256')
    .update(readFileSync(new URL(import.meta.url)))
    .digest('hex')
    .slice(0, 10);
}

/** The benchmark repository of `commits` commits, generated once and cached under .bench/versioning/. */
export async function benchRepo(commits: number, tagCount: number): Promise<BenchRepo> {
  const root = join(CACHE_DIR, 'versioning');
  const dir = join(root, `repo-${commits}-${tagCount}-${fingerprint()}`);
  const meta = join(dir, '.git', 'railyard-bench.json');
  if (!existsSync(meta)) {
    mkdirSync(root, { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const started = Date.now();
    log(`versioning: generating a ${commits}-commit repository with git fast-import (cached in ${dir})…`);
    const made = await generate(tmp, commits, Math.max(1, Math.floor((commits - 15) / tagCount)));
    writeFileSync(join(tmp, '.git', 'railyard-bench.json'), JSON.stringify(made));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    log(
      `versioning: ${made.commits} commits, ${made.tags.length} v-tags, ${made.packageTags} package tags in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  const made = JSON.parse(readFileSync(meta, 'utf8')) as Omit<BenchRepo, 'dir' | 'config'>;
  const config = join(root, 'railyard.yaml');
  writeFileSync(
    config,
    `products:\n${PACKAGE_RELEASES.map((p) => `  - { key: ${p}, path: packages/${p}, tagFormat: "{name}@{version}" }`).join('\n')}\n`,
  );
  return { dir, config, ...made };
}
