import { createRootRoute, createRoute, createRouter } from '@tanstack/react-router';
import type { RunFilters } from './api/queries';
import { RELEASE_STATUSES, type ReleaseStatus, RUN_STATUSES } from './api/types';
import { AppLayout } from './components/app-layout';
import { ErrorState } from './components/query-state';
import { AuditPage } from './pages/audit-page';
import { NotFoundPage } from './pages/not-found-page';
import { PortfolioPage } from './pages/portfolio-page';
import { ReleaseDetailPage } from './pages/release-detail-page';
import { ReleasesPage } from './pages/releases-page';
import { RunDetailPage } from './pages/run-detail-page';
import { RunsPage } from './pages/runs-page';

const rootRoute = createRootRoute({
  component: AppLayout,
  notFoundComponent: NotFoundPage,
  errorComponent: ({ error, reset }) => <ErrorState error={error} title="Something went wrong" onRetry={reset} />,
});

const portfolioRoute = createRoute({ getParentRoute: () => rootRoute, path: '/', component: PortfolioPage });

interface ReleasesSearch {
  product?: string;
  status?: ReleaseStatus;
}

const releasesRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/releases',
  // Filters live in the URL, so a filtered list can be bookmarked and shared.
  validateSearch: (search: Record<string, unknown>): ReleasesSearch => ({
    product: typeof search.product === 'string' && search.product ? search.product : undefined,
    status: RELEASE_STATUSES.find((s) => s === search.status),
  }),
  component: ReleasesPage,
});

const releaseDetailRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/releases/$ref',
  component: ReleaseDetailPage,
});

const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

const runsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/runs',
  validateSearch: (search: Record<string, unknown>): RunFilters => ({
    product: text(search.product),
    environment: text(search.environment),
    status: RUN_STATUSES.find((s) => s === search.status),
  }),
  component: RunsPage,
});

const runDetailRoute = createRoute({ getParentRoute: () => rootRoute, path: '/runs/$id', component: RunDetailPage });

const auditRoute = createRoute({ getParentRoute: () => rootRoute, path: '/audit', component: AuditPage });

const routeTree = rootRoute.addChildren([portfolioRoute, releasesRoute, releaseDetailRoute, runsRoute, runDetailRoute, auditRoute]);

export const router = createRouter({ routeTree, scrollRestoration: true });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
