import { Badge, Button, Center, CloseButton, Group, Paper, Select, Table, Text } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { environmentsQuery, type RunFilters, runsQuery } from '../api/queries';
import { RUN_STATUSES, type Run, type RunStatus } from '../api/types';
import { AnchorLink } from '../components/links';
import { PageHeader } from '../components/page-header';
import { PromoteButton } from '../components/promote-modal';
import { ErrorState, LoadingState } from '../components/query-state';
import { RunStatusBadge } from '../components/status-badge';
import { formatDateTime, formatRelative, humanize } from '../format';
import { isFinalRun } from '../runs';

const route = getRouteApi('/runs');

const STATUS_OPTIONS = RUN_STATUSES.map((s) => ({ value: s, label: humanize(s) }));
// While a listed run is still going, its status is refreshed this often (a run's own page follows it live).
const ACTIVE_REFRESH_MS = 3_000;

export function RunsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const environments = useQuery(environmentsQuery);
  const runs = useInfiniteQuery({
    ...runsQuery(search),
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.items.some((r) => !isFinalRun(r.status))) ? ACTIVE_REFRESH_MS : false,
  });
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];

  const setFilter = (patch: RunFilters) => navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });

  return (
    <>
      <title>Runs · Railyard</title>
      <PageHeader title="Runs" description="Every promotion: its plan run step by step, newest first." actions={<PromoteButton />} />
      <Group mb="md" gap="md" align="flex-end">
        <Select
          label="Status"
          placeholder="All statuses"
          data={STATUS_OPTIONS}
          value={search.status ?? null}
          onChange={(value) => setFilter({ status: (value as RunStatus | null) ?? undefined })}
          clearable
          w={200}
        />
        <Select
          label="Environment"
          placeholder={environments.isError ? 'Environments unavailable' : 'All environments'}
          data={environments.data?.items.map((e) => e.key) ?? []}
          value={search.environment ?? null}
          onChange={(value) => setFilter({ environment: value ?? undefined })}
          clearable
          w={220}
        />
        {search.product && (
          <Badge
            variant="light"
            size="lg"
            radius="sm"
            rightSection={<CloseButton size="xs" onClick={() => setFilter({ product: undefined })} aria-label="Show all products" />}
          >
            product {search.product}
          </Badge>
        )}
      </Group>
      {runs.isPending ? (
        <LoadingState label="Loading runs…" />
      ) : runs.isError && items.length === 0 ? (
        <ErrorState error={runs.error} onRetry={() => runs.refetch()} />
      ) : (
        <>
          <RunsTable runs={items} />
          {runs.isFetchNextPageError && <ErrorState error={runs.error} title="Could not load more runs" />}
          {runs.hasNextPage && (
            <Center mt="md">
              <Button variant="default" onClick={() => runs.fetchNextPage()} loading={runs.isFetchingNextPage}>
                Load more
              </Button>
            </Center>
          )}
        </>
      )}
    </>
  );
}

function RunsTable({ runs }: { runs: Run[] }) {
  return (
    <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
      <Table.ScrollContainer minWidth={860}>
        <Table aria-label="Runs" verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
          <Table.Thead bg="gray.0">
            <Table.Tr>
              <Table.Th scope="col">Release</Table.Th>
              <Table.Th scope="col">Environment</Table.Th>
              <Table.Th scope="col">Plan</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Promoter</Table.Th>
              <Table.Th scope="col">Created</Table.Th>
              <Table.Th scope="col">Finished</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {runs.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={7}>
                  <Text c="dimmed" size="sm" ta="center" py="lg">
                    No runs match these filters.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
            {runs.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  <AnchorLink to="/runs/$id" params={{ id: r.id }} fw={600} size="sm" ff="monospace">
                    {r.release}
                  </AnchorLink>
                  {r.redeploy && (
                    <Badge ml={6} size="xs" variant="outline" color="orange" title="A version that ran here before: a rollback">
                      redeploy
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {r.environment}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{r.plan}</Text>
                </Table.Td>
                <Table.Td>
                  <RunStatusBadge status={r.status} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{r.promoter}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c="dimmed" title={formatDateTime(r.createdAt)}>
                    {r.status === 'scheduled' && r.scheduledAt ? `starts ${formatRelative(r.scheduledAt)}` : formatDateTime(r.createdAt)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c="dimmed">
                    {formatDateTime(r.finishedAt)}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}
