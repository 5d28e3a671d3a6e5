import { Badge, type MantineColor } from '@mantine/core';
import type { DeploymentStatus, ReleaseStatus, RunStatus, StepStatus } from '../api/types';
import { humanize } from '../format';

const RELEASE_COLORS: Record<ReleaseStatus, MantineColor> = {
  planned: 'gray',
  in_progress: 'blue',
  ready: 'teal',
  released: 'green',
  cancelled: 'dark',
};

const DEPLOYMENT_COLORS: Record<DeploymentStatus, MantineColor> = {
  succeeded: 'green',
  failed: 'red',
  rolled_back: 'orange',
};

export function ReleaseStatusBadge({ status }: { status: ReleaseStatus }) {
  return (
    <Badge color={RELEASE_COLORS[status]} variant={status === 'cancelled' ? 'outline' : 'light'} radius="sm">
      {humanize(status)}
    </Badge>
  );
}

export function DeploymentStatusBadge({ status, children }: { status: DeploymentStatus; children?: string }) {
  return (
    <Badge color={DEPLOYMENT_COLORS[status]} variant={status === 'succeeded' ? 'light' : 'filled'} radius="sm">
      {children ?? humanize(status)}
    </Badge>
  );
}

const RUN_COLORS: Record<RunStatus, MantineColor> = {
  scheduled: 'gray',
  queued: 'gray',
  running: 'blue',
  awaiting: 'yellow',
  needs_attention: 'orange',
  rolling_back: 'orange',
  succeeded: 'green',
  failed: 'red',
  rolled_back: 'orange',
  cancelled: 'dark',
};

const STEP_COLORS: Record<StepStatus, MantineColor> = {
  pending: 'gray',
  ready: 'gray',
  running: 'blue',
  waiting: 'yellow',
  succeeded: 'green',
  failed: 'red',
  skipped: 'gray',
  needs_attention: 'orange',
  cancelled: 'dark',
};

/** Filled when it ended badly, outlined when it was stopped or never started, light otherwise. */
function variantOf(status: RunStatus | StepStatus): 'filled' | 'outline' | 'light' {
  if (status === 'failed' || status === 'rolled_back' || status === 'needs_attention') return 'filled';
  if (status === 'cancelled' || status === 'skipped') return 'outline';
  return 'light';
}

export function RunStatusBadge({ status }: { status: RunStatus }) {
  return (
    <Badge color={RUN_COLORS[status]} variant={variantOf(status)} radius="sm">
      {humanize(status)}
    </Badge>
  );
}

export function StepStatusBadge({ status }: { status: StepStatus }) {
  return (
    <Badge color={STEP_COLORS[status]} variant={variantOf(status)} radius="sm">
      {humanize(status)}
    </Badge>
  );
}
