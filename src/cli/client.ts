import type { AuditEvent } from '../features/audit/audit.js';
import type { VerifyResult } from '../features/audit/audit-service.js';
import type { ApplyResult } from '../features/config/config-service.js';
import type { Deployment } from '../features/deployments/deployment.js';
import type { RecordDeployment } from '../features/deployments/deployment-service.js';
import type { Environment, Track } from '../features/environments/environment.js';
import type { Product } from '../features/products/product.js';
import type { Release } from '../features/releases/release.js';
import type { CreateRelease, ReleaseDetail } from '../features/releases/release-service.js';
import type { Train } from '../features/releases/train.js';

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
