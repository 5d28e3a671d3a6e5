import { Anchor, Badge, Breadcrumbs, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { releaseQuery } from '../api/queries';
import type { Change, Deployment, ReleaseDetail } from '../api/types';
import { AnchorLink, ButtonLink } from '../components/links';
import { PromoteButton } from '../components/promote-modal';
import { ErrorState, LoadingState } from '../components/query-state';
import { DeploymentStatusBadge, ReleaseStatusBadge } from '../components/status-badge';
import { formatDateTime, formatDay, humanize } from '../format';

const route = getRouteApi('/releases/$ref');

export function ReleaseDetailPage() {
  const { ref } = route.useParams();
  const release = useQuery(releaseQuery(ref));
  return (
    <>
      <title>{`${ref} · Railyard`}</title>
      <Breadcrumbs mb="sm" fz="sm">
        <AnchorLink to="/releases" size="sm">
          Releases
        </AnchorLink>
        <Text size="sm" ff="monospace">
          {ref}
        </Text>
      </Breadcrumbs>
      {release.isPending ? (
        <LoadingState label={`Loading ${ref}…`} />
      ) : release.isError ? (
        <ErrorState error={release.error} title={`Could not load release ${ref}`} onRetry={() => release.refetch()} />
      ) : (
        <ReleaseView release={release.data} />
      )}
    </>
  );
}

function ReleaseView({ release }: { release: ReleaseDetail }) {
  return (
    <Stack gap="lg">
      <Group justify="space-between" align="center" gap="md">
        <Group gap="sm" align="center">
          <Title order={2} ff="monospace">
            {release.ref}
          </Title>
          <ReleaseStatusBadge status={release.status} />
        </Group>
        <Group gap="xs">
          <ButtonLink to="/runs" search={{ product: release.product }} variant="default">
            Runs of {release.product}
          </ButtonLink>
          {release.status !== 'cancelled' && <PromoteButton release={release.ref} />}
        </Group>
      </Group>
      {release.title !== release.ref && release.title !== `${release.product} ${release.version}` && (
        <Text size="lg" mt={-12}>
          {release.title}
        </Text>
      )}
      <Paper withBorder radius="md" p="md">
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 4 }} spacing="md" verticalSpacing="md" component="dl" m={0}>
          <Field label="Product">
            <AnchorLink to="/releases" search={{ product: release.product }} size="sm">
              {release.product}
            </AnchorLink>
          </Field>
          <Field label="Version">{release.version}</Field>
          <Field label="Target date">{formatDay(release.targetDate)}</Field>
          <Field label="Train">{release.train ?? '—'}</Field>
          <Field label="Author">{release.author ?? '—'}</Field>
          <Field label="Created">{formatDateTime(release.createdAt)}</Field>
          <Field label="Updated">{formatDateTime(release.updatedAt)}</Field>
          <Field label="Released">{formatDateTime(release.releasedAt)}</Field>
        </SimpleGrid>
        {release.notes && (
          <Text size="sm" mt="md" style={{ whiteSpace: 'pre-wrap' }}>
            {release.notes}
          </Text>
        )}
      </Paper>
      <Section title="Changes" count={release.changes.length}>
        <ChangesTable changes={release.changes} />
      </Section>
      <Section title="Deployments" count={release.deployments.length}>
        <DeploymentsTable deployments={release.deployments} />
      </Section>
    </Stack>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed" fw={600}>
        {label}
      </Text>
      <Text component="dd" size="sm" m={0}>
        {children}
      </Text>
    </div>
  );
}

function Section({ title, count, children }: { title: string; count: number; children: ReactNode }) {
  return (
    <section aria-label={title}>
      <Group gap="xs" mb="xs">
        <Title order={3} size="h4">
          {title}
        </Title>
        <Badge variant="default" radius="sm">
          {count}
        </Badge>
      </Group>
      <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
        {children}
      </Paper>
    </section>
  );
}

function EmptyRow({ span, children }: { span: number; children: string }) {
  return (
    <Table.Tr>
      <Table.Td colSpan={span}>
        <Text c="dimmed" size="sm" ta="center" py="md">
          {children}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}

function ChangesTable({ changes }: { changes: Change[] }) {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table aria-label="Changes" verticalSpacing="xs" horizontalSpacing="md">
        <Table.Thead bg="gray.0">
          <Table.Tr>
            <Table.Th scope="col">Type</Table.Th>
            <Table.Th scope="col">Reference</Table.Th>
            <Table.Th scope="col">Title</Table.Th>
            <Table.Th scope="col">Author</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {changes.length === 0 && <EmptyRow span={4}>No changes recorded in this release yet.</EmptyRow>}
          {changes.map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td>
                <Badge variant="light" color={c.type === 'feat' ? 'violet' : c.type === 'fix' ? 'cyan' : 'gray'} radius="sm">
                  {c.type}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace" c="dimmed">
                  {c.link ? (
                    <Anchor href={c.link} target="_blank" rel="noreferrer" inherit>
                      {c.ref}
                    </Anchor>
                  ) : (
                    c.ref
                  )}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={6}>
                  <Text size="sm">{c.title}</Text>
                  {c.breaking && (
                    <Badge color="red" variant="outline" size="xs">
                      breaking
                    </Badge>
                  )}
                  {c.afterFreeze && (
                    <Badge color="orange" variant="outline" size="xs">
                      after freeze
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{c.author ?? '—'}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function DeploymentsTable({ deployments }: { deployments: Deployment[] }) {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table aria-label="Deployments" verticalSpacing="xs" horizontalSpacing="md">
        <Table.Thead bg="gray.0">
          <Table.Tr>
            <Table.Th scope="col">Environment</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">By</Table.Th>
            <Table.Th scope="col">Started</Table.Th>
            <Table.Th scope="col">Finished</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {deployments.length === 0 && <EmptyRow span={5}>Not promoted into any environment yet.</EmptyRow>}
          {deployments.map((d) => (
            <Table.Tr key={d.id}>
              <Table.Td>
                <Text size="sm" ff="monospace" fw={600}>
                  {d.environment}
                </Text>
              </Table.Td>
              <Table.Td>
                <DeploymentStatusBadge status={d.status}>{humanize(d.status)}</DeploymentStatusBadge>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{d.actor}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{formatDateTime(d.startedAt)}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{formatDateTime(d.finishedAt)}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
