export const DEPLOYMENT_STATUSES = ['succeeded', 'failed', 'rolled_back'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** The record that version V of product P reached (or failed to reach) environment E. */
export interface Deployment {
  id: string;
  product: string;
  environment: string;
  version: string;
  release: string;
  status: DeploymentStatus;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
}
