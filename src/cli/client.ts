import type { AuditEvent } from '../features/audit/audit.js';
import type { VerifyResult } from '../features/audit/audit-service.js';
import type { CalendarClient } from '../features/calendar/calendar-client.js';
import type { ApplyResult } from '../features/config/config-service.js';
import type { Deployment } from '../features/deployments/deployment.js';
import type { RecordDeployment } from '../features/deployments/deployment-service.js';
import type { Environment, Track } from '../features/environments/environment.js';
import type { Evidence } from '../features/evidence/evidence.js';
import type { AddEvidenceResult, EvidenceRequest } from '../features/evidence/evidence-service.js';
import type { ApprovalStatus } from '../features/gates/approval.js';
import type { ApproveInput } from '../features/gates/approval-service.js';
import type { GateResult } from '../features/gates/gate.js';
import type { RunClient } from '../features/plans/run-client.js';
import type { Product } from '../features/products/product.js';
import type { Change, NewChange } from '../features/releases/change.js';
import type { Release } from '../features/releases/release.js';
import type { CreateRelease, ReleaseDetail } from '../features/releases/release-service.js';
import type { Train } from '../features/releases/train.js';
import type { ReviewClient } from '../features/reviews/review-client.js';
import type { RiskClient } from '../features/risk/risk-client.js';

export interface Page<T, C = string> {
  items: T[];
  nextCursor: C | null;
}

/**
 * What the CLI can ask of Railyard. Two implementations: one over the local database, one over the HTTP
 * API of a server; commands are written once against this and print the same either way.
 */
export interface Client {
  products(): Promise<Product[]>;
  product(key: string): Promise<Product>;
  environments(): Promise<Environment[]>;
  tracks(): Promise<Track[]>;
  trains(): Promise<Train[]>;
  listReleases(q: { product?: string; status?: string; train?: string; limit: number; cursor?: string }): Promise<Page<Release>>;
  createRelease(input: CreateRelease): Promise<Release>;
  showRelease(ref: string): Promise<ReleaseDetail>;
  setReleaseStatus(ref: string, status: string, reason?: string): Promise<Release>;
  addChanges(ref: string, changes: NewChange[]): Promise<Change[]>;
  listDeployments(q: { product?: string; environment?: string; limit: number; cursor?: string }): Promise<Page<Deployment>>;
  recordDeployment(input: RecordDeployment): Promise<Deployment>;
  listAudit(q: {
    subjectType?: string;
    subjectId?: string;
    actor?: string;
    limit: number;
    cursor?: number;
  }): Promise<Page<AuditEvent, number>>;
  verifyAudit(): Promise<VerifyResult>;
  apply(yaml: string, file: string, dryRun: boolean): Promise<ApplyResult>;
  /** The release calendar: windows, can-promote, overrides, planned windows, bookings, conflicts, agenda, ICS. */
  calendar: CalendarClient;
  addEvidence(input: EvidenceRequest): Promise<AddEvidenceResult>;
  listEvidence(ref: string, history: boolean): Promise<Evidence[]>;
  checkGate(ref: string, environment: string): Promise<GateResult>;
  approve(input: ApproveInput): Promise<ApprovalStatus>;
  approvals(ref: string, environment: string): Promise<ApprovalStatus>;
  /** Reviews (checklist, votes, decision) and the readiness report. */
  reviews: ReviewClient;
  /** Risk score and register. */
  risk: RiskClient;
  /** Promotions and the runs of deployment plans. */
  runs: RunClient;
  close(): Promise<void>;
}

export interface ConnectOptions {
  db: string;
  server?: string;
  token?: string;
  as: string;
}

export async function connect(options: ConnectOptions): Promise<Client> {
  if (options.server) {
    const { RemoteClient } = await import('./remote-client.js');
    return new RemoteClient(options.server, options.as, options.token);
  }
  const { openLocalClient } = await import('./local-client.js');
  return openLocalClient(options.db, options.as);
}
