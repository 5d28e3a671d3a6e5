import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { apiGet, apiPost } from './client';
import type {
  AuditEvent,
  AuditVerification,
  Environment,
  Page,
  Portfolio,
  Product,
  Release,
  ReleaseDetail,
  ReleaseStatus,
  Run,
  RunDetail,
  RunStatus,
  Track,
} from './types';

const PAGE_SIZE = 50;

export const portfolioQuery = queryOptions({
  queryKey: ['portfolio'],
  queryFn: ({ signal }) => apiGet<Portfolio>('/portfolio', {}, signal),
});

export const productsQuery = queryOptions({
  queryKey: ['products'],
  queryFn: ({ signal }) => apiGet<{ items: Product[] }>('/products', {}, signal),
  staleTime: 5 * 60_000,
});

export const tracksQuery = queryOptions({
  queryKey: ['tracks'],
  queryFn: ({ signal }) => apiGet<{ items: Track[] }>('/tracks', {}, signal),
  staleTime: 5 * 60_000,
});

interface ReleaseFilters {
  product?: string;
  status?: ReleaseStatus;
}

export const environmentsQuery = queryOptions({
  queryKey: ['environments'],
  queryFn: ({ signal }) => apiGet<{ items: Environment[] }>('/environments', {}, signal),
  staleTime: 5 * 60_000,
});

export const releasesQuery = (filters: ReleaseFilters) =>
  infiniteQueryOptions({
    queryKey: ['releases', filters],
    queryFn: ({ pageParam, signal }) =>
      apiGet<Page<Release>>('/releases', { ...filters, limit: PAGE_SIZE, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

export const releaseQuery = (ref: string) =>
  queryOptions({
    queryKey: ['release', ref],
    queryFn: ({ signal }) => apiGet<ReleaseDetail>(`/releases/${encodeURIComponent(ref)}`, {}, signal),
  });

export const auditQuery = infiniteQueryOptions({
  queryKey: ['audit'],
  queryFn: ({ pageParam, signal }) =>
    apiGet<Page<AuditEvent, number>>('/audit', { limit: PAGE_SIZE, cursor: pageParam ?? undefined }, signal),
  initialPageParam: null as number | null,
  getNextPageParam: (last) => last.nextCursor,
});

export const verifyAudit = () => apiGet<AuditVerification>('/audit/verify');

/** The newest releases, to pick one to promote (most recent first; the picker searches them). */
export const recentReleasesQuery = queryOptions({
  queryKey: ['releases', 'recent'],
  queryFn: ({ signal }) => apiGet<Page<Release>>('/releases', { limit: 500 }, signal),
});

export interface RunFilters {
  product?: string;
  environment?: string;
  status?: RunStatus;
}

export const runsQuery = (filters: RunFilters) =>
  infiniteQueryOptions({
    queryKey: ['runs', filters],
    queryFn: ({ pageParam, signal }) =>
      apiGet<Page<Run>>('/runs', { ...filters, limit: PAGE_SIZE, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

export const runQueryKey = (id: string) => ['run', id] as const;

export const runQuery = (id: string) =>
  queryOptions({
    queryKey: runQueryKey(id),
    queryFn: ({ signal }) => apiGet<RunDetail>(`/runs/${encodeURIComponent(id)}`, {}, signal),
  });

const runPath = (id: string) => `/runs/${encodeURIComponent(id)}`;
const stepPath = (id: string, step: string) => `${runPath(id)}/steps/${encodeURIComponent(step)}`;

export const promote = (body: { release: string; environment: string; at?: string }) => apiPost<Run>('/promotions', body);
export const cancelRun = (id: string, reason: string) => apiPost<RunDetail>(`${runPath(id)}/cancel`, reason ? { reason } : {});
export const retryRun = (id: string) => apiPost<RunDetail>(`${runPath(id)}/retry`, {});
export const resumeRun = (id: string, reason: string) => apiPost<RunDetail>(`${runPath(id)}/resume`, { reason });
export const confirmStep = (id: string, step: string, body: { note?: string; role?: string }) =>
  apiPost<RunDetail>(`${stepPath(id, step)}/confirm`, body);
export const rejectStep = (id: string, step: string, reason: string) => apiPost<RunDetail>(`${stepPath(id, step)}/reject`, { reason });
