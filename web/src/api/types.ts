// Response shapes of the Railyard API (/api/v1), written by hand from the route schemas in src/features/*.
// Replace with types generated from /api/v1/openapi.json once the typed client exists.

export const RELEASE_STATUSES = ['planned', 'in_progress', 'ready', 'released', 'cancelled'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

export type DeploymentStatus = 'succeeded' | 'failed' | 'rolled_back';
export type Tier = 'dev' | 'test' | 'staging' | 'prod';

export interface Page<T, C = string> {
  items: T[];
  nextCursor: C | null;
}

export interface PortfolioEnvironment {
  key: string;
  name: string;
  tier: Tier;
  protected: boolean;
}

export interface PortfolioCell {
  /** The running version; null when nothing has succeeded there yet but an attempt was made. */
  version: string | null;
  deployedAt: string | null;
  lastAttempt: { version: string; status: DeploymentStatus; at: string } | null;
}

export interface NextRelease {
  version: string;
  status: ReleaseStatus;
  targetDate: string | null;
  title: string;
}

export interface PortfolioRow {
  product: string;
  name: string;
  track: string | null;
  nextRelease: NextRelease | null;
  cells: Record<string, PortfolioCell | null>;
}

export interface Portfolio {
  environments: PortfolioEnvironment[];
  products: PortfolioRow[];
}

export interface Product {
  id: string;
  key: string;
  name: string;
  description: string;
  track: string | null;
}

export interface Release {
  id: string;
  product: string;
  version: string;
  ref: string;
  title: string;
  status: ReleaseStatus;
  targetDate: string | null;
  author: string | null;
  train: string | null;
  notes: string;
  createdAt: string;
  updatedAt: string;
  releasedAt: string | null;
}

export interface Change {
  id: string;
  kind: 'commit' | 'pull_request' | 'issue' | 'dependency';
  type: string;
  ref: string;
  title: string;
  author: string | null;
  link: string | null;
  breaking: boolean;
  afterFreeze: boolean;
  createdAt: string;
}

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

export interface ReleaseDetail extends Release {
  changes: Change[];
  deployments: Deployment[];
}

export interface AuditEvent {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  before: unknown;
  after: unknown;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  events: number;
  headHash: string;
  firstBroken: { seq: number; id: string; reason: string } | null;
}

export interface Track {
  id: string;
  key: string;
  name: string;
  environments: string[];
}

export interface Environment {
  id: string;
  key: string;
  name: string;
  tier: Tier;
  protected: boolean;
  position: number;
}

export const RUN_STATUSES = [
  'scheduled',
  'queued',
  'running',
  'awaiting',
  'needs_attention',
  'rolling_back',
  'succeeded',
  'failed',
  'rolled_back',
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type StepStatus = 'pending' | 'ready' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'needs_attention' | 'cancelled';
export type StepKind = 'run' | 'http' | 'manual' | 'approval' | 'wait' | 'verify' | 'notify';

/** One execution of a plan for a release into an environment. */
export interface Run {
  id: string;
  release: string;
  product: string;
  version: string;
  environment: string;
  plan: string;
  status: RunStatus;
  /** A promotion of a version that already succeeded in this environment: a rollback by redeploying it. */
  redeploy: boolean;
  promoter: string;
  scheduledAt: string | null;
  error: string | null;
  deployment: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface StepRun {
  id: string;
  phase: 'deploy' | 'rollback';
  key: string;
  name: string;
  kind: StepKind;
  needs: string[];
  status: StepStatus;
  attempt: number;
  maxAttempts: number;
  availableAt: string | null;
  worker: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  result: Record<string, unknown> | null;
  /** For steps waiting for a person: what to do. */
  instructions: string | null;
  /** The role a person confirms the step in, when it names one. */
  role: string | null;
}

export interface RunDetail extends Run {
  steps: StepRun[];
}

/** One stored chunk of a step's output (it may hold several lines). */
export interface StepLog {
  id: string;
  step: string;
  phase: string;
  attempt: number;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
  at: string;
}
