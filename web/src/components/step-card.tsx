import { Alert, Badge, Group, Paper, Stack, Text } from '@mantine/core';
import type { StepLog, StepRun } from '../api/types';
import { formatDateTime, formatDuration } from '../format';
import { waitsForPerson } from '../runs';
import { LogPanel } from './log-panel';
import { StepActions } from './run-actions';
import { StepStatusBadge } from './status-badge';

/** What a step is for people to read: its label in the page and in the accessibility tree. */
export function stepLabel(step: Pick<StepRun, 'phase' | 'key'>): string {
  return step.phase === 'rollback' ? `Rollback step ${step.key}` : `Step ${step.key}`;
}

/**
 * One step of a run: status and attempt, what went wrong, what a person is asked to do (with Confirm and
 * Reject while it waits for them), and its output.
 */
export function StepCard({
  runId,
  step,
  logs,
  actionable,
}: {
  runId: string;
  step: StepRun;
  logs: readonly StepLog[];
  actionable: boolean;
}) {
  const person = waitsForPerson(step);
  return (
    <Paper component="article" aria-label={stepLabel(step)} withBorder radius="md" p="md">
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" gap="sm">
          <Stack gap={2}>
            <Group gap="xs" align="center">
              <Text fw={700} ff="monospace" size="sm">
                {step.key}
              </Text>
              <Badge variant="default" radius="sm" size="sm">
                {step.kind}
              </Badge>
              <StepStatusBadge status={step.status} />
              <Text size="xs" c="dimmed">
                {attemptText(step)}
              </Text>
            </Group>
            <Text size="xs" c="dimmed">
              {[step.name !== step.key ? step.name : null, step.needs.length ? `after ${step.needs.join(', ')}` : null, timing(step)]
                .filter(Boolean)
                .join(' · ')}
            </Text>
          </Stack>
          {person && actionable && <StepActions runId={runId} step={step} />}
        </Group>
        {person && (
          <Alert color={step.status === 'needs_attention' ? 'orange' : 'yellow'} variant="light" p="xs" title={personTitle(step)}>
            <Text size="sm">{step.status === 'needs_attention' ? (step.error ?? step.instructions) : step.instructions}</Text>
          </Alert>
        )}
        {step.error && !(person && step.status === 'needs_attention') && (
          <Text size="sm" c="red.8" style={{ whiteSpace: 'pre-wrap' }}>
            {step.error}
          </Text>
        )}
        {!person && step.instructions && step.kind !== 'run' && (
          <Text size="sm" c="dimmed">
            {step.instructions}
          </Text>
        )}
        {logs.length > 0 && <LogPanel label={`Output of ${stepLabel(step).toLowerCase()}`} logs={logs} />}
      </Stack>
    </Paper>
  );
}

function attemptText(step: StepRun): string {
  if (step.attempt === 0) return step.maxAttempts > 1 ? `up to ${step.maxAttempts} attempts` : '';
  return step.maxAttempts > 1 ? `attempt ${step.attempt} of ${step.maxAttempts}` : `attempt ${step.attempt}`;
}

function timing(step: StepRun): string | null {
  if (step.status === 'ready' && step.availableAt && Date.parse(step.availableAt) > Date.now()) {
    return `next attempt ${formatDateTime(step.availableAt)}`;
  }
  if (!step.startedAt) return null;
  return step.finishedAt ? `took ${formatDuration(step.startedAt, step.finishedAt)}` : `started ${formatDateTime(step.startedAt)}`;
}

function personTitle(step: StepRun): string {
  if (step.status === 'needs_attention') return 'Outcome unknown: a person decides whether it took effect';
  return step.kind === 'approval' ? 'Waiting for approval' : 'Waiting for a person';
}
