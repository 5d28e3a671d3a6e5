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
}

export type NewRelease = Insertable<ReleaseTable>;
export type AuditRow = Selectable<AuditEventTable>;
