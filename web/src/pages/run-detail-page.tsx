import { Alert, Badge, Breadcrumbs, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { type ReactNode, useEffect, useMemo } from 'react';
import { runQuery } from '../api/queries';
import type { RunDetail, StepLog, StepRun } from '../api/types';
import { AnchorLink } from '../components/links';
import { ErrorState, LoadingState } from '../components/query-state';
import { RunActions } from '../components/run-actions';
import { RunStatusBadge } from '../components/status-badge';
import { StepCard } from '../components/step-card';
import { formatDateTime, formatDuration } from '../format';
import { type RunStream, useRunStream } from '../hooks/use-run-stream';
import { isFinalRun } from '../runs';

const route = getRouteApi('/runs/$id');

export function RunDetailPage() {
  const { id } = route.useParams();
  const run = useQuery(runQuery(id));
  const stream = useRunStream(id, run.data !== undefined);
  const status = run.data?.status;

  // A retry brings a finished run back to life: follow it again.
  const { state, reopen } = stream;
  useEffect(() => {
    if (state === 'ended' && status && !isFinalRun(status)) reopen();
  }, [state, status, reopen]);

  const title = run.data ? `${run.data.release} → ${run.data.environment}` : id;
  return (
    <>
      <title>{`Run ${title} · Railyard`}</title>
      <Breadcrumbs mb="sm" fz="sm">
        <AnchorLink to="/runs" size="sm">
          Runs
        </AnchorLink>
        <Text size="sm" ff="monospace">
          {id}
        </Text>
      </Breadcrumbs>
      {run.data ? (
        <>
          {/* A failed refresh leaves the run as last seen (and live, if the stream still flows). */}
          {run.isError && <ErrorState error={run.error} title="Could not refresh this run" onRetry={() => run.refetch()} />}
          <RunView run={run.data} stream={stream} />
        </>
      ) : run.isError ? (
        <ErrorState error={run.error} title={`Could not load run ${id}`} onRetry={() => run.refetch()} />
      ) : (
        <LoadingState label="Loading the run…" />
      )}
    </>
  );
}

function RunView({ run, stream }: { run: RunDetail; stream: RunStream }) {
  const logsByStep = useMemo(() => {
    const map = new Map<string, StepLog[]>();
    for (const log of stream.logs) {
      const key = `${log.phase}:${log.step}`;
      const list = map.get(key);
      if (list) list.push(log);
      else map.set(key, [log]);
    }
    return map;
  }, [stream.logs]);
  const deploy = run.steps.filter((s) => s.phase === 'deploy');
  const rollback = run.steps.filter((s) => s.phase === 'rollback');
  const final = isFinalRun(run.status);

  const steps = (list: StepRun[]) =>
    list.map((s) => <StepCard key={s.id} runId={run.id} step={s} logs={logsByStep.get(`${s.phase}:${s.key}`) ?? []} actionable={!final} />);

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="center" gap="md">
        <Group gap="sm" align="center">
          <Title order={2} ff="monospace">
            <AnchorLink to="/releases/$ref" params={{ ref: run.release }} inherit c="dark.7">
              {run.release}
            </AnchorLink>{' '}
            → {run.environment}
          </Title>
          <RunStatusBadge status={run.status} />
          {run.redeploy && (
            <Badge variant="outline" color="orange" radius="sm" title="A version that ran here before: a rollback">
              redeploy
            </Badge>
          )}
          <StreamIndicator stream={stream} final={final} />
        </Group>
        <RunActions run={run} />
      </Group>
      {run.error && (
        <Alert color={run.status === 'cancelled' ? 'gray' : 'red'} variant="light" title={final ? 'Why it ended' : 'What went wrong'}>
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {run.error}
          </Text>
        </Alert>
      )}
      <Paper withBorder radius="md" p="md">
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="md" verticalSpacing="md" component="dl" m={0}>
          <Field label="Plan">{run.plan}</Field>
          <Field label="Promoter">{run.promoter}</Field>
          <Field label={run.status === 'scheduled' ? 'Starts' : 'Created'}>
            {formatDateTime(run.status === 'scheduled' ? run.scheduledAt : run.createdAt)}
          </Field>
          <Field label="Started">{formatDateTime(run.startedAt)}</Field>
          <Field label="Finished">{formatDateTime(run.finishedAt)}</Field>
          <Field label="Duration">{run.finishedAt ? formatDuration(run.startedAt, run.finishedAt) : '—'}</Field>
        </SimpleGrid>
      </Paper>
      <StepSection title="Steps">{steps(deploy)}</StepSection>
      {rollback.length > 0 && (
        <StepSection
          title="Rollback steps"
          description="Run when a step that says onFailure: rollback fails, to undo what the steps above did."
        >
          {steps(rollback)}
        </StepSection>
      )}
    </Stack>
  );
}

function StreamIndicator({ stream, final }: { stream: RunStream; final: boolean }) {
  if (stream.state === 'lost') {
    return (
      <Group gap={6}>
        <Badge color="red" variant="dot" radius="sm">
          Live updates stopped
        </Badge>
        <Button size="compact-xs" variant="subtle" onClick={stream.reopen}>
          Reconnect
        </Button>
      </Group>
    );
  }
  if (final || stream.state === 'ended') return null;
  if (stream.state === 'reconnecting') {
    return (
      <Badge color="yellow" variant="dot" radius="sm" role="status">
        Reconnecting…
      </Badge>
    );
  }
  return (
    <Badge color={stream.state === 'live' ? 'green' : 'gray'} variant="dot" radius="sm" role="status" title="Updates as it happens">
      {stream.state === 'live' ? 'Live' : 'Connecting…'}
    </Badge>
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

function StepSection({ title, description, children }: { title: string; description?: string; children: ReactNode }) {
  return (
    <section aria-label={title}>
      <Title order={3} size="h4" mb={description ? 2 : 'xs'}>
        {title}
      </Title>
      {description && (
        <Text size="sm" c="dimmed" mb="xs">
          {description}
        </Text>
      )}
      <Stack gap="sm">{children}</Stack>
    </section>
  );
}
