import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { remoteCalendarClient } from '../features/calendar/calendar-client.js';
import { remoteRunClient } from '../features/plans/run-client.js';
import { remoteReviewClient } from '../features/reviews/review-client.js';
import { remoteRiskClient } from '../features/risk/risk-client.js';
import { AppError, ERROR_CODES, type ErrorCode, type ErrorDetail } from '../platform/errors.js';
import type { Client } from './client.js';

/** The CLI against a Railyard server's HTTP API (`--server URL`). */
export class RemoteClient implements Client {
  private readonly base: string;

  constructor(
    server: string,
    private readonly actor: string,
    private readonly token?: string,
  ) {
    this.base = server.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown, query?: Record<string, unknown>): Promise<T> {
    const url = new URL(`${this.base}/api/v1${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          'railyard-actor': this.actor,
          ...(body === undefined ? {} : { 'content-type': body instanceof Upload ? 'application/octet-stream' : 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? undefined : body instanceof Upload ? body.stream() : JSON.stringify(body),
        ...(body instanceof Upload ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new AppError('unavailable', `cannot reach Railyard server at ${this.base} (${why})`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new AppError('unavailable', `server at ${this.base} answered ${response.status} with something that is not JSON`);
    }
    if (!response.ok) {
      const e = (parsed as { error?: { code?: string; message?: string; details?: ErrorDetail[] } })?.error;
      const code = (e?.code && e.code in ERROR_CODES ? e.code : response.status >= 500 ? 'internal' : 'bad_request') as ErrorCode;
      throw new AppError(code, e?.message ?? `server answered ${response.status}`, e?.details ?? []);
    }
    return parsed as T;
  }

  products = async () => (await this.call<{ items: Awaited<ReturnType<Client['products']>> }>('GET', '/products')).items;
  product = (key: string) => this.call<Awaited<ReturnType<Client['product']>>>('GET', `/products/${encodeURIComponent(key)}`);
  environments = async () => (await this.call<{ items: Awaited<ReturnType<Client['environments']>> }>('GET', '/environments')).items;
  tracks = async () => (await this.call<{ items: Awaited<ReturnType<Client['tracks']>> }>('GET', '/tracks')).items;
  trains = async () => (await this.call<{ items: Awaited<ReturnType<Client['trains']>> }>('GET', '/trains')).items;
  listReleases: Client['listReleases'] = (q) => this.call('GET', '/releases', undefined, q);
  createRelease: Client['createRelease'] = (input) => this.call('POST', '/releases', input);
  showRelease: Client['showRelease'] = (ref) => this.call('GET', `/releases/${encodeURIComponent(ref)}`);
  setReleaseStatus: Client['setReleaseStatus'] = (ref, status, reason) =>
    this.call('POST', `/releases/${encodeURIComponent(ref)}/status`, { status, ...(reason ? { reason } : {}) });
  addChanges: Client['addChanges'] = async (ref, changes) =>
    (
      await this.call<{ items: Awaited<ReturnType<Client['addChanges']>> }>('POST', `/releases/${encodeURIComponent(ref)}/changes`, {
        changes,
      })
    ).items;
  listDeployments: Client['listDeployments'] = (q) => this.call('GET', '/deployments', undefined, q);
  recordDeployment: Client['recordDeployment'] = (input) => this.call('POST', '/deployments', input);
  listAudit: Client['listAudit'] = (q) => this.call('GET', '/audit', undefined, q);
  verifyAudit: Client['verifyAudit'] = () => this.call('GET', '/audit/verify');
  apply: Client['apply'] = (yaml, file, dryRun) => this.call('POST', '/config/apply', { yaml, file, dryRun });
  runs = remoteRunClient(<T>(method: string, path: string, body?: unknown, query?: Record<string, unknown>) =>
    this.call<T>(method, path, body, query),
  );
  calendar = remoteCalendarClient(<T>(method: string, path: string, body?: unknown, query?: Record<string, unknown>) =>
    this.call<T>(method, path, body, query),
  );
  addEvidence: Client['addEvidence'] = ({ release, path, ...input }) => {
    const at = `/releases/${encodeURIComponent(release)}/evidence`;
    return path
      ? this.call('POST', `${at}/reports`, new Upload(path), { kind: input.kind, source: input.source, file: basename(path) })
      : this.call('POST', at, input);
  };
  listEvidence: Client['listEvidence'] = async (ref, history) =>
    (
      await this.call<{ items: Awaited<ReturnType<Client['listEvidence']>> }>(
        'GET',
        `/releases/${encodeURIComponent(ref)}/evidence`,
        undefined,
        { history },
      )
    ).items;
  checkGate: Client['checkGate'] = (ref, env) => this.call('GET', `/releases/${encodeURIComponent(ref)}/gates/${encodeURIComponent(env)}`);
  approve: Client['approve'] = ({ release, environment, ...body }) =>
    this.call('POST', `/releases/${encodeURIComponent(release)}/approvals/${encodeURIComponent(environment)}`, body);
  approvals: Client['approvals'] = (ref, env) =>
    this.call('GET', `/releases/${encodeURIComponent(ref)}/approvals/${encodeURIComponent(env)}`);
  reviews = remoteReviewClient(<T>(method: string, path: string, body?: unknown) => this.call<T>(method, path, body));
  risk = remoteRiskClient(<T>(method: string, path: string, body?: unknown) => this.call<T>(method, path, body));
  close = async () => {};
}

/** A file sent as the raw request body, streamed rather than read whole. */
class Upload {
  constructor(private readonly path: string) {}
  stream(): ReadableStream {
    return ReadableStream.from(createReadStream(this.path)) as ReadableStream;
  }
}
