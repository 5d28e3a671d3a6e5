import { Alert, Button, Center, Code, Paper, Table, Text } from '@mantine/core';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { auditQuery, verifyAudit } from '../api/queries';
import type { AuditEvent, AuditVerification } from '../api/types';
import { PageHeader } from '../components/page-header';
import { ErrorState, LoadingState } from '../components/query-state';
import { formatDateTime } from '../format';

export function AuditPage() {
  const events = useInfiniteQuery(auditQuery);
  const verify = useMutation({ mutationFn: verifyAudit });
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <title>Audit · Railyard</title>
      <PageHeader
        title="Audit trail"
        description="Every change of state, newest first. Each event is hash-chained to the one before it."
        actions={
          <Button onClick={() => verify.mutate()} loading={verify.isPending}>
            Verify chain
          </Button>
        }
      />
      {verify.isError && <ErrorState error={verify.error} title="Could not verify the chain" />}
      {verify.isSuccess && <VerifyResult result={verify.data} />}
      {events.isPending ? (
        <LoadingState label="Loading audit events…" />
      ) : events.isError && items.length === 0 ? (
        <ErrorState error={events.error} onRetry={() => events.refetch()} />
      ) : (
        <>
          <AuditTable events={items} />
          {events.isFetchNextPageError && <ErrorState error={events.error} title="Could not load more events" />}
          {events.hasNextPage && (
            <Center mt="md">
              <Button variant="default" onClick={() => events.fetchNextPage()} loading={events.isFetchingNextPage}>
                Load more
              </Button>
            </Center>
          )}
        </>
      )}
    </>
  );
}

function VerifyResult({ result }: { result: AuditVerification }) {
  const broken = result.firstBroken;
  if (result.ok || !broken) {
    return (
      <Alert color="green" variant="light" title="Chain intact" mb="md" role="status">
        All {result.events} events verified. Head hash <Code>{result.headHash.slice(0, 16)}…</Code>
      </Alert>
    );
  }
  return (
    <Alert color="red" variant="light" title="Chain broken" mb="md" role="alert">
      The chain breaks at event #{broken.seq} (<Code>{broken.id}</Code>): {broken.reason}. Events after it cannot be trusted.
    </Alert>
  );
}

function AuditTable({ events }: { events: AuditEvent[] }) {
  return (
    <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
      <Table.ScrollContainer minWidth={760}>
        <Table aria-label="Audit events" verticalSpacing="xs" horizontalSpacing="md" highlightOnHover>
          <Table.Thead bg="gray.0">
            <Table.Tr>
              <Table.Th scope="col">#</Table.Th>
              <Table.Th scope="col">Time</Table.Th>
              <Table.Th scope="col">Actor</Table.Th>
              <Table.Th scope="col">Action</Table.Th>
              <Table.Th scope="col">Subject</Table.Th>
              <Table.Th scope="col">Details</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={6}>
                  <Text c="dimmed" size="sm" ta="center" py="lg">
                    No events recorded yet.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
            {events.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td>
                  <Text size="sm" c="dimmed" ff="monospace">
                    {e.seq}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{formatDateTime(e.at)}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{e.actor}</Text>
                </Table.Td>
                <Table.Td>
                  <Code>{e.action}</Code>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">
                    {e.subjectType}{' '}
                    <Text span size="xs" c="dimmed" ff="monospace">
                      {subjectLabel(e)}
                    </Text>
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c="dimmed">
                    {summary(e)}
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

type State = Record<string, unknown>;

function stateOf(value: unknown): State {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as State) : {};
}

/** A name a person recognises (a release ref, a product key) when the event carries one; the id otherwise. */
function subjectLabel(e: AuditEvent): string {
  const state = { ...stateOf(e.before), ...stateOf(e.after) };
  if (typeof state.release === 'string' && typeof state.environment === 'string') return `${state.release} → ${state.environment}`;
  for (const field of ['ref', 'key']) {
    const value = state[field];
    if (typeof value === 'string') return value;
  }
  return e.subjectId;
}

/** The gist of what changed, for the events whose before/after say it in a word or two. */
function summary(e: AuditEvent): string {
  const before = stateOf(e.before);
  const after = stateOf(e.after);
  if (typeof before.status === 'string' && typeof after.status === 'string') return `${before.status} → ${after.status}`;
  if (Array.isArray(after.added)) return `${after.added.length} change${after.added.length === 1 ? '' : 's'} added`;
  if (e.subjectType === 'deployment' && typeof after.status === 'string') return after.status;
  return '';
}
