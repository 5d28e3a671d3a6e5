import { Button, Center, Group, Paper, Select, Table, Text } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { productsQuery, releasesQuery } from '../api/queries';
import { RELEASE_STATUSES, type Release, type ReleaseStatus } from '../api/types';
import { AnchorLink } from '../components/links';
import { PageHeader } from '../components/page-header';
import { ErrorState, LoadingState } from '../components/query-state';
import { ReleaseStatusBadge } from '../components/status-badge';
import { formatDateTime, formatDay, humanize } from '../format';

const route = getRouteApi('/releases');

const STATUS_OPTIONS = RELEASE_STATUSES.map((s) => ({ value: s, label: humanize(s) }));

export function ReleasesPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const products = useQuery(productsQuery);
  const releases = useInfiniteQuery(releasesQuery(search));
  const items = releases.data?.pages.flatMap((p) => p.items) ?? [];

  const setFilter = (patch: { product?: string; status?: ReleaseStatus }) =>
    navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });

  return (
    <>
      <title>Releases · Railyard</title>
      <PageHeader title="Releases" description="Every version of every product, newest first." />
      <Group mb="md" gap="md" align="flex-end">
        <Select
          label="Status"
          placeholder="All statuses"
          data={STATUS_OPTIONS}
          value={search.status ?? null}
          onChange={(value) => setFilter({ status: (value as ReleaseStatus | null) ?? undefined })}
          clearable
          w={200}
        />
        <Select
          label="Product"
          placeholder={products.isError ? 'Products unavailable' : 'All products'}
          data={products.data?.items.map((p) => ({ value: p.key, label: `${p.name} (${p.key})` })) ?? []}
          value={search.product ?? null}
          onChange={(value) => setFilter({ product: value ?? undefined })}
          searchable
          clearable
          nothingFoundMessage="No such product"
          w={280}
        />
      </Group>
      {releases.isPending ? (
        <LoadingState label="Loading releases…" />
      ) : releases.isError && items.length === 0 ? (
        <ErrorState error={releases.error} onRetry={() => releases.refetch()} />
      ) : (
        <>
          <ReleasesTable releases={items} />
          {releases.isFetchNextPageError && <ErrorState error={releases.error} title="Could not load more releases" />}
          {releases.hasNextPage && (
            <Center mt="md">
              <Button variant="default" onClick={() => releases.fetchNextPage()} loading={releases.isFetchingNextPage}>
                Load more
              </Button>
            </Center>
          )}
        </>
      )}
    </>
  );
}

function ReleasesTable({ releases }: { releases: Release[] }) {
  return (
    <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
      <Table.ScrollContainer minWidth={760}>
        <Table aria-label="Releases" verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
          <Table.Thead bg="gray.0">
            <Table.Tr>
              <Table.Th scope="col">Release</Table.Th>
              <Table.Th scope="col">Title</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Target date</Table.Th>
              <Table.Th scope="col">Train</Table.Th>
              <Table.Th scope="col">Author</Table.Th>
              <Table.Th scope="col">Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {releases.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={7}>
                  <Text c="dimmed" size="sm" ta="center" py="lg">
                    No releases match these filters.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
            {releases.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  <AnchorLink to="/releases/$ref" params={{ ref: r.ref }} fw={600} size="sm" ff="monospace">
                    {r.ref}
                  </AnchorLink>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{r.title}</Text>
                </Table.Td>
                <Table.Td>
                  <ReleaseStatusBadge status={r.status} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{formatDay(r.targetDate)}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c={r.train ? undefined : 'dimmed'}>
                    {r.train ?? '—'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c={r.author ? undefined : 'dimmed'}>
                    {r.author ?? '—'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c="dimmed">
                    {formatDateTime(r.createdAt)}
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
