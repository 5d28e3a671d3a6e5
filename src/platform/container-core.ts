import { AuditLog, AuditService } from '../features/audit/audit-service.js';
import { DeploymentService } from '../features/deployments/deployment-service.js';
import { PortfolioService } from '../features/portfolio/portfolio-service.js';
import { CatalogService } from '../features/products/catalog-service.js';
import { ReleaseService } from '../features/releases/release-service.js';
import type { Clock } from './clock.js';
import type { DatabaseHandle } from './db/database.js';

/**
 * The core services: catalog, releases, deployments, portfolio and audit. They load no heavy libraries, so
 * the CLI can start them alone for its everyday commands; `createServices` in container.ts adds the rest on
 * top of these (and is the only other place services are wired).
 */
export interface CoreServices {
  database: DatabaseHandle;
  clock: Clock;
  auditLog: AuditLog;
  audit: AuditService;
  catalog: CatalogService;
  deployments: DeploymentService;
  portfolio: PortfolioService;
  releases: ReleaseService;
}

export function createCoreServices(database: DatabaseHandle, clock: Clock): CoreServices {
  const db = database.db;
  const auditLog = new AuditLog({ clock });
  return {
    database,
    clock,
    auditLog,
    audit: new AuditService({ db }),
    catalog: new CatalogService({ db }),
    deployments: new DeploymentService({ db, clock, audit: auditLog }),
    portfolio: new PortfolioService({ db }),
    releases: new ReleaseService({ db, clock, audit: auditLog }),
  };
}
