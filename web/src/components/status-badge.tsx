import { Badge, type MantineColor } from '@mantine/core';
import type { DeploymentStatus, ReleaseStatus } from '../api/types';
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
