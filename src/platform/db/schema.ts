import type { Insertable, Selectable } from 'kysely';

/**
 * Table types shared by both dialects. Ids are ULID text, times are ISO-8601 UTC text (sortable and equal on
 * SQLite and PostgreSQL), booleans are 0/1 integers, lists and objects are JSON text.
 */
export interface ProductTable {
  id: string;
  key: string;
  name: string;
  description: string;
  repo: string | null;
  path: string | null;
  tag_format: string;
  owners: string;
  notify: string;
  track_key: string | null;
  spec: string;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ProductDependencyTable {
  product_id: string;
  depends_on_id: string;
  version_range: string;
}

export interface EnvironmentTable {
  id: string;
  key: string;
  name: string;
  tier: string;
  timezone: string;
  protected: number;
  concurrency: number;
  position: number;
  spec: string;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TrackTable {
  id: string;
  key: string;
  name: string;
  spec: string;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TrackEnvironmentTable {
  track_id: string;
  environment_id: string;
  position: number;
}

export interface TrainTable {
  id: string;
  key: string;
  name: string;
  spec: string;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TrainProductTable {
  train_id: string;
  product_id: string;
}

export interface ReleaseTable {
  id: string;
  product_id: string;
  version: string;
  title: string;
  status: string;
  target_date: string | null;
  author: string | null;
  train_id: string | null;
  notes: string;
  created_at: string;
  updated_at: string;
  released_at: string | null;
}

export interface ChangeTable {
  id: string;
  release_id: string;
  kind: string;
  type: string;
  ref: string;
  title: string;
  author: string | null;
  link: string | null;
  breaking: number;
  after_freeze: number;
  created_at: string;
}

export interface DeploymentTable {
  id: string;
  release_id: string;
  product_id: string;
  environment_id: string;
  version: string;
  status: string;
  actor: string;
  started_at: string;
  finished_at: string | null;
}

export interface AuditEventTable {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  before_state: string | null;
  after_state: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface EvidenceTable {
  id: string;
  release_id: string;
  kind: string;
  source: string;
  facts: string;
  digest: string;
  actor: string;
  created_at: string;
  superseded_at: string | null;
}

export interface PolicyTable {
  id: string;
  kind: string;
  key: string;
  spec: string;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ApprovalTable {
  id: string;
  release_id: string;
  environment_id: string;
  approver: string;
  role: string | null;
  comment: string;
  digest: string;
  created_at: string;
  revoked_at: string | null;
}

export interface ReviewTable {
  id: string;
  release_id: string;
  kind: string;
  status: string;
  template: string;
  rule: string;
  checklist: string;
  decision: string | null;
  minutes: string;
  opened_by: string;
  opened_at: string;
  decided_at: string | null;
}

export interface ReviewVoteTable {
  review_id: string;
  voter: string;
  vote: string;
  role: string | null;
  comment: string;
  at: string;
}

export interface RiskTable {
  id: string;
  release_id: string;
  title: string;
  likelihood: number;
  impact: number;
  owner: string | null;
  mitigation: string;
  status: string;
  blocker: number;
  created_at: string;
  updated_at: string;
}

export interface CalendarWindowTable {
  id: string;
  key: string;
  name: string;
  kind: string;
  severity: string;
  source: string;
  spec: string;
  sequence: number;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CalendarStateTable {
  id: number;
  version: number;
}

export interface CalendarOverrideTable {
  id: string;
  window_id: string;
  environment_id: string;
  product_id: string | null;
  starts_at: string;
  ends_at: string;
  reason: string;
  status: string;
  requested_by: string;
  approved_by: string | null;
  approved_at: string | null;
  revoked_by: string | null;
  revoked_at: string | null;
  sequence: number;
  created_at: string;
  updated_at: string;
}

export interface ReleasePlanTable {
  id: string;
  release_id: string;
  environment_id: string;
  starts_at: string;
  ends_at: string;
  created_by: string;
  sequence: number;
  created_at: string;
  updated_at: string;
}

export interface CalendarBookingTable {
  id: string;
  release_id: string;
  environment_id: string;
  starts_at: string;
  ends_at: string;
  note: string;
  forced: number;
  force_reason: string | null;
  status: string;
  created_by: string;
  cancelled_by: string | null;
  cancelled_at: string | null;
  sequence: number;
  created_at: string;
  updated_at: string;
}

export interface CalendarFeedTokenTable {
  id: string;
  user_name: string;
  token_hash: string;
  created_at: string;
  revoked_at: string | null;
}

export interface RunTable {
  id: string;
  release_id: string;
  product_id: string;
  environment_id: string;
  product: string;
  environment: string;
  version: string;
  plan_key: string;
  plan: string;
  status: string;
  redeploy: number;
  promoter: string;
  scheduled_at: string | null;
  error: string | null;
  deployment_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

export interface StepRunTable {
  id: string;
  run_id: string;
  phase: string;
  key: string;
  kind: string;
  position: number;
  spec: string;
  status: string;
  attempt: number;
  max_attempts: number;
  lost_leases: number;
  available_at: string | null;
  lease_owner: string | null;
  lease_token: number;
  lease_expires_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  result: string | null;
  error: string | null;
  updated_at: string;
}

export interface StepLogTable {
  id: string;
  run_id: string;
  step_id: string;
  attempt: number;
  stream: string;
  text: string;
  at: string;
}

export interface WorkerTable {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  heartbeat_at: string;
  stopped_at: string | null;
}

export interface OutboxTable {
  id: string;
  event: string;
  subject_type: string;
  subject_id: string;
  payload: string;
  created_at: string;
  delivered_at: string | null;
}

export interface Database {
  products: ProductTable;
  product_dependencies: ProductDependencyTable;
  environments: EnvironmentTable;
  tracks: TrackTable;
  track_environments: TrackEnvironmentTable;
  trains: TrainTable;
  train_products: TrainProductTable;
  releases: ReleaseTable;
  changes: ChangeTable;
  deployments: DeploymentTable;
  audit_events: AuditEventTable;
  audit_head: AuditHeadTable;
  calendar_windows: CalendarWindowTable;
  calendar_state: CalendarStateTable;
  calendar_overrides: CalendarOverrideTable;
  release_plans: ReleasePlanTable;
  calendar_bookings: CalendarBookingTable;
  calendar_feed_tokens: CalendarFeedTokenTable;
  evidence: EvidenceTable;
  policies: PolicyTable;
  approvals: ApprovalTable;
  reviews: ReviewTable;
  review_votes: ReviewVoteTable;
  risks: RiskTable;
  runs: RunTable;
  step_runs: StepRunTable;
  step_logs: StepLogTable;
  workers: WorkerTable;
  outbox: OutboxTable;
}

export type NewRelease = Insertable<ReleaseTable>;
export type AuditRow = Selectable<AuditEventTable>;
