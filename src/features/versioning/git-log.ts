import { StringDecoder } from 'node:string_decoder';

/**
 * The `git log` output Railyard reads: one record per commit, fields separated by NUL (`-z`), each record
 * opened by an RS byte so that the file names `--name-only` appends cannot be mistaken for the next commit.
 * NUL cannot occur in a commit message, so no message can break the framing.
 */
export const LOG_FORMAT = '--format=%x1e%H%x00%P%x00%an%x00%ae%x00%ct%x00%B';
const FIELDS = 6;

export interface RawCommit {
  hash: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  /** Committer time, seconds since the epoch. */
  time: number;
  message: string;
  /** Files the commit changed (only when the log was read with --name-only). */
  files: string[];
  /** The message was not valid UTF-8; undecodable bytes became U+FFFD. */
  invalidUtf8: boolean;
}

/**
 * Turns the byte stream of `git log -z LOG_FORMAT [--name-only]` into commits, chunk by chunk, keeping
 * only the unfinished field between chunks: memory stays flat however long the history is.
 */
export class LogDecoder {
  private readonly text = new StringDecoder('utf8');
  /** The unfinished field, in pieces: joined once its NUL arrives, so a huge message is copied once. */
  private partial: string[] = [];
  private fields: string[] = [];
  private current: RawCommit | null = null;

  /** Feeds a chunk; returns the commits completed by it. */
  push(chunk: Buffer | string): RawCommit[] {
    const s = typeof chunk === 'string' ? chunk : this.text.write(chunk);
    let nul = s.indexOf('\0');
    if (nul === -1) {
      if (s !== '') this.partial.push(s);
      return [];
    }
    const out: RawCommit[] = [];
    this.partial.push(s.slice(0, nul));
    this.field(this.partial.join(''), out);
    this.partial = [];
    let start = nul + 1;
    for (nul = s.indexOf('\0', start); nul !== -1; nul = s.indexOf('\0', start)) {
      this.field(s.slice(start, nul), out);
      start = nul + 1;
    }
    if (start < s.length) this.partial.push(s.slice(start));
    return out;
  }

  /** Call at the end of the stream; returns the last commit. */
  end(): RawCommit[] {
    const out: RawCommit[] = [];
    const rest = this.partial.join('') + this.text.end();
    this.partial = [];
    if (rest !== '') this.field(rest, out);
    if (this.fields.length > 0) this.finishHeader();
    if (this.current) out.push(this.current);
    this.current = null;
    return out;
  }

  private field(value: string, out: RawCommit[]): void {
    if (this.fields.length === 0 && value.charCodeAt(0) === 0x1e) {
      if (this.current) out.push(this.current);
      this.current = null;
      this.fields.push(value.slice(1));
      return;
    }
    if (this.fields.length > 0) {
      this.fields.push(value);
      if (this.fields.length === FIELDS) this.finishHeader();
      return;
    }
    // A file name of --name-only output; the first one of a commit comes after a newline.
    const name = value.charCodeAt(0) === 10 ? value.slice(1) : value;
    if (this.current && name !== '') this.current.files.push(name);
  }

  private finishHeader(): void {
    // Read by index: destructuring runs the iterator protocol, which unoptimised code (most of a short run) pays for.
    const f = this.fields;
    const hash = f[0] ?? '';
    const parents = f[1] ?? '';
    const authorName = f[2] ?? '';
    const authorEmail = f[3] ?? '';
    const time = f[4] ?? '0';
    const message = f[5] ?? '';
    this.fields = [];
    this.current = {
      hash,
      parents: parents === '' ? [] : parents.includes(' ') ? parents.split(' ') : [parents],
      authorName,
      authorEmail,
      time: Number(time),
      message,
      files: [],
      invalidUtf8: message.includes('\uFFFD'),
    };
  }
}
