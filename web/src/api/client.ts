import { currentActor } from '../actor';

export interface ErrorDetail {
  message: string;
  path?: string;
}

/** An error the dashboard can show: the API's own error body, or what went wrong reaching it. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly errorId: string | null = null,
    /** The reasons behind it: each blocked gate check, each invalid field. */
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; errorId?: string; details?: ErrorDetail[] };
}

type Query = Record<string, string | number | undefined>;

/** GET a JSON document from /api/v1; throws ApiError with the server's message on any failure. */
export async function apiGet<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.size ? `?${params}` : '';
  return request<T>(`/api/v1${path}${search}`, { headers: { accept: 'application/json' }, signal });
}

/** POST a JSON body to /api/v1 as the person named in the header (see actor.ts); throws ApiError like apiGet. */
export async function apiPost<T>(path: string, body: unknown): Promise<T> {
  const actor = currentActor().trim();
  return request<T>(`/api/v1${path}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', ...(actor ? { 'railyard-actor': actor } : {}) },
    body: JSON.stringify(body),
  });
}

async function request<T>(url: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiError('Cannot reach the Railyard server. Check that it is running and try again.', 0, 'network');
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const e = (body as ErrorBody | null)?.error;
    throw new ApiError(
      e?.message ?? `The server answered ${response.status} ${response.statusText}`.trim(),
      response.status,
      e?.code ?? 'http_error',
      e?.errorId ?? null,
      Array.isArray(e?.details) ? e.details : [],
    );
  }
  if (body === null) throw new ApiError('The server sent a response that is not JSON', response.status, 'bad_response');
  return body as T;
}

/** A 4xx answer: asking again will not change it (not found, invalid filter). */
export function isClientError(error: unknown): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500;
}
