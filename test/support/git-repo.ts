import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A real git repository in a temporary folder, built commit by commit the way people make them (with the
 * `git` program), with deterministic dates so that tests can name the days they expect.
 */
export class GitRepo {
  private clock = Date.parse('2026-01-05T10:00:00Z') / 1000;

  private constructor(readonly dir: string) {}

  static create(prefix = 'railyard-git-'): GitRepo {
    const repo = new GitRepo(mkdtempSync(join(tmpdir(), prefix)));
    repo.git('init', '-q', '-b', 'main');
    repo.git('config', 'user.name', 'Ada Lovelace');
    repo.git('config', 'user.email', 'ada@example.com');
    repo.git('config', 'commit.gpgsign', 'false');
    repo.git('config', 'tag.gpgsign', 'false');
    return repo;
  }

  /** Runs git in the repository and returns its standard output (trimmed); throws with git's message on failure. */
  git(...args: string[]): string {
    return this.gitWith({}, ...args);
  }

  gitWith(env: Record<string, string>, ...args: string[]): string {
    const date = `${this.clock} +0000`;
    const r = spawnSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
        GIT_COMMITTER_NAME: 'Ada Lovelace',
        GIT_COMMITTER_EMAIL: 'ada@example.com',
        ...env,
      },
    });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  write(path: string, content: string): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), content);
  }

  /** Commits a message, changing the given files (or a file named after the message); returns the hash. */
  commit(message: string | Buffer, files?: Record<string, string>, author?: { name: string; email: string }): string {
    this.clock += 3600;
    const changes = files ?? { [`notes/${this.clock}.txt`]: String(message) };
    for (const [path, content] of Object.entries(changes)) this.write(path, content);
    this.git('add', '-A');
    const file = join(this.dir, '.git', 'RAILYARD_MSG');
    writeFileSync(file, message);
    const env: Record<string, string> = author ? { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email } : {};
    this.gitWith(env, 'commit', '-q', '--allow-empty', '--cleanup=verbatim', '-F', file);
    return this.head();
  }

  /**
   * A commit whose message bytes are stored exactly as given. `git commit` would repair a message that is
   * not UTF-8 (it assumes Latin-1); old repositories and other tools did not, so such commits exist.
   */
  commitRaw(message: Buffer, encodingHeader?: string): string {
    this.clock += 3600;
    const tree = this.git('write-tree');
    const parent = spawnSync('git', ['rev-parse', '-q', '--verify', 'HEAD'], { cwd: this.dir, encoding: 'utf8' }).stdout.trim();
    const who = `Ada Lovelace <ada@example.com> ${this.clock} +0000`;
    const head = `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author ${who}\ncommitter ${who}\n${encodingHeader ? `encoding ${encodingHeader}\n` : ''}\n`;
    const r = spawnSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], {
      cwd: this.dir,
      input: Buffer.concat([Buffer.from(head), message]),
    });
    if (r.status !== 0) throw new Error(`git hash-object failed: ${r.stderr}`);
    const hash = r.stdout.toString().trim();
    this.git('update-ref', 'HEAD', hash);
    return hash;
  }

  head(): string {
    return this.git('rev-parse', 'HEAD');
  }

  tag(name: string, annotated = true): void {
    if (annotated) this.git('tag', '-a', '-m', name, name);
    else this.git('tag', name);
  }

  branch(name: string, from?: string): void {
    this.git('checkout', '-q', '-b', name, ...(from ? [from] : []));
  }

  checkout(name: string): void {
    this.git('checkout', '-q', name);
  }

  /** A merge commit (never a fast-forward), as a pull request merged on a forge makes. */
  merge(branch: string, message = `Merge branch '${branch}'`): string {
    this.clock += 3600;
    this.git('merge', '-q', '--no-ff', '-m', message, branch);
    return this.head();
  }

  revert(hash: string): string {
    this.clock += 3600;
    this.git('revert', '--no-edit', hash);
    return this.head();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
