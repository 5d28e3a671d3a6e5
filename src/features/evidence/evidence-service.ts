import { createHash } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { canonicalJson } from '../audit/audit.js';
import type { AuditLog } from '../audit/audit-service.js';
import { parseRef, type Release } from '../releases/release.js';
import { findRelease } from '../releases/release-store.js';
import { assertKind, type Evidence, type Facts, isReportKind, type ReportKind } from './evidence.js';
import { currentEvidenceFor, insertEvidence, listEvidence, supersedeEvidence } from './evidence-store.js';

/** JSON reports are parsed whole; XML and lcov stream. SARIF and coverage summaries are far below this. */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

export interface AddEvidence {
  release: string;
  kind: string;
  /** Re-submitting for the same source replaces the earlier evidence (kept in the history). Default: the kind. */
  source?: string;
  /** The report, for junit, lcov, cobertura, istanbul and sarif. */
  content?: AsyncIterable<string | Buffer>;
  /** Name used in error messages. */
  file?: string;
  /** Stated facts, for ci ({status, url}), signoff ({role, comment}) and custom ({key: value}). */
  facts?: Record<string, unknown>;
}

/** What the CLI asks for: a report by its path (read by the client, streamed to a server) or stated facts. */
export interface EvidenceRequest {
  release: string;
  kind: string;
  source?: string;
  path?: string;
  facts?: Record<string, unknown>;
}

export interface AddEvidenceResult {
  evidence: Evidence;
  /** False when the same source sent the same content again: nothing was written. */
  changed: boolean;
  replaced: string | null;
}

export class EvidenceService {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog }) {}

  async add(input: AddEvidence, actor: string): Promise<AddEvidenceResult> {
    const kind = assertKind(input.kind);
    const role = typeof input.facts?.role === 'string' ? input.facts.role : '';
    // Sign-offs of different roles stand side by side; everything else replaces per kind unless a source is named.
    const source = input.source?.trim() || (kind === 'signoff' && role ? `signoff:${role}` : kind);
    const { product, version } = parseRef(input.release);
    // Fail fast on an unknown release before reading a large report.
    if (!(await findRelease(this.deps.db, product, version))) throw notFound('release', input.release);
    const { facts, digest } = isReportKind(kind)
      ? await parseReport(kind, input.content, input.file ?? kind)
      : statedFacts(kind, input.facts ?? {}, actor);
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (trx) => {
      const release = await mustFind(trx, input.release);
      const current = await currentEvidenceFor(trx, release.id, kind, source);
      if (current && current.digest === digest) return { evidence: current, changed: false, replaced: null };
      if (current) await supersedeEvidence(trx, current.id, now.toISOString());
      const id = newId(now);
      await insertEvidence(trx, { id, releaseId: release.id, kind, source, facts, digest, actor, createdAt: now.toISOString() });
      const evidence: Evidence = {
        id,
        release: release.ref,
        kind,
        source,
        facts,
        digest,
        actor,
        createdAt: now.toISOString(),
        supersededAt: null,
      };
      await this.deps.audit.record(trx, {
        actor,
        action: current ? 'evidence.replaced' : 'evidence.added',
        subjectType: 'release',
        subjectId: release.id,
        before: current ? { id: current.id, kind, source, facts: current.facts } : undefined,
        after: { id, ref: release.ref, kind, source, facts },
      });
      return { evidence, changed: true, replaced: current?.id ?? null };
    });
  }

  async list(ref: string, history = false): Promise<Evidence[]> {
    const release = await mustFind(this.deps.db, ref);
    return listEvidence(this.deps.db, release.id, history);
  }
}

async function mustFind(db: Queryable, ref: string): Promise<Release> {
  const { product, version } = parseRef(ref);
  const release = await findRelease(db, product, version);
  if (!release) throw notFound('release', ref);
  return release;
}

/** Decodes chunks as UTF-8 text and hashes the bytes on the way through. */
async function* decodeAndHash(content: AsyncIterable<string | Buffer>, hash: ReturnType<typeof createHash>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of content) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(bytes);
    yield decoder.decode(bytes, { stream: true });
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

async function parseReport(
  kind: ReportKind,
  content: AsyncIterable<string | Buffer> | undefined,
  file: string,
): Promise<{ facts: Facts; digest: string }> {
  if (!content) throw new AppError('bad_request', `evidence of kind ${kind} needs a report file`);
  const hash = createHash('sha256');
  const text = decodeAndHash(content, hash);
  // The XML parser and report readers load only when a report arrives, not at every command's start-up.
  const [{ parseJunit }, { parseCobertura, parseIstanbulSummary, parseLcov }, { parseSarif }] = await Promise.all([
    import('./junit.js'),
    import('./coverage.js'),
    import('./sarif.js'),
  ]);
  let facts: Facts;
  if (kind === 'junit') facts = await parseJunit(text, file);
  else if (kind === 'lcov') facts = await parseLcov(text, file);
  else if (kind === 'cobertura') facts = await parseCobertura(text, file);
  else {
    let whole = '';
    for await (const part of text) {
      whole += part;
      if (whole.length > MAX_JSON_BYTES) throw new AppError('bad_request', `${file}: larger than ${MAX_JSON_BYTES / 1024 / 1024} MiB`);
    }
    facts = kind === 'sarif' ? parseSarif(whole, file) : parseIstanbulSummary(whole, file);
  }
  return { facts, digest: hash.digest('hex') };
}

function statedFacts(kind: 'ci' | 'signoff' | 'custom', given: Record<string, unknown>, actor: string): { facts: Facts; digest: string } {
  let facts: Facts;
  if (kind === 'ci') {
    if (given.status !== 'pass' && given.status !== 'fail') throw new AppError('bad_request', 'ci evidence needs status pass or fail');
    facts = { status: given.status, url: typeof given.url === 'string' && given.url ? given.url : null };
  } else if (kind === 'signoff') {
    if (typeof given.role !== 'string' || !given.role)
      throw new AppError('bad_request', 'signoff evidence needs a role (e.g. qa, security)');
    facts = { role: given.role, by: typeof given.by === 'string' && given.by ? given.by : actor, comment: String(given.comment ?? '') };
  } else {
    if (Object.keys(given).length === 0) throw new AppError('bad_request', 'custom evidence needs at least one key=value');
    for (const key of Object.keys(given)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
        throw new AppError('bad_request', `custom key '${key}' must be an identifier (letters, digits, _) so gates can name it`);
      }
    }
    facts = given;
  }
  return { facts, digest: createHash('sha256').update(canonicalJson(facts)).digest('hex') };
}
