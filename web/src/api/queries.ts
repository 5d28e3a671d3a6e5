import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { apiGet } from './client';
import type { AuditEvent, AuditVerification, Page, Portfolio, Product, Release, ReleaseDetail, ReleaseStatus, Track } from './types';

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
