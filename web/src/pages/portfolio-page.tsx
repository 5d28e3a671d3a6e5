import { SimpleGrid } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { portfolioQuery, tracksQuery } from '../api/queries';
import type { Portfolio } from '../api/types';
import { PageHeader } from '../components/page-header';
import { PortfolioBoard, type TrackEnvironments } from '../components/portfolio-board';
import { ErrorState, LoadingState } from '../components/query-state';
import { StatCard } from '../components/stat-card';

export function PortfolioPage() {
  const board = useQuery(portfolioQuery);
  // The board is useful without tracks; they only tell "not on track" from "not deployed".
  const tracks = useQuery(tracksQuery);
  const trackEnvironments = useMemo<TrackEnvironments | undefined>(
    () => tracks.data && new Map(tracks.data.items.map((t) => [t.key, new Set(t.environments)])),
    [tracks.data],
  );

  return (
    <>
      <title>Portfolio · Railyard</title>
      <PageHeader title="Portfolio" description="Every product in every environment: what runs where, and what ships next." />
      {board.isPending ? (
        <LoadingState label="Loading the portfolio…" />
      ) : board.isError ? (
        <ErrorState error={board.error} onRetry={() => board.refetch()} />
      ) : (
        <>
          <PortfolioSummary portfolio={board.data} />
          <PortfolioBoard portfolio={board.data} tracks={trackEnvironments} />
        </>
      )}
    </>
  );
}

function PortfolioSummary({ portfolio }: { portfolio: Portfolio }) {
  const upcoming = portfolio.products.filter((p) => p.nextRelease).length;
  const failing = portfolio.products.reduce(
    (n, p) => n + Object.values(p.cells).filter((c) => c?.lastAttempt && c.lastAttempt.status !== 'succeeded').length,
    0,
  );
  const protectedEnvs = portfolio.environments.filter((e) => e.protected).length;
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }} mb="lg" aria-label="Summary" component="section">
      <StatCard label="Products" value={portfolio.products.length} />
      <StatCard label="Environments" value={portfolio.environments.length} hint={`${protectedEnvs} protected`} />
      <StatCard label="Releases in the pipeline" value={upcoming} hint="products with a next release" />
      <StatCard
        label="Failed or rolled back"
        value={failing}
        hint={failing ? 'latest attempt did not succeed' : 'every latest attempt succeeded'}
        color={failing ? 'red.7' : undefined}
      />
    </SimpleGrid>
  );
}
