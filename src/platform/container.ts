import { AuditLog, AuditService } from '../features/audit/audit-service.js';
import { ConfigService } from '../features/config/config-service.js';
import { DeploymentService } from '../features/deployments/deployment-service.js';
import { PortfolioService } from '../features/portfolio/portfolio-service.js';
import { CatalogService } from '../features/products/catalog-service.js';
import { ReleaseService } from '../features/releases/release-service.js';
import { type Clock, systemClock } from './clock.js';
import { type DatabaseHandle, openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrations.js';

/** The one place where stores and services are created and wired together. */
export interface Services {
  database: DatabaseHandle;
  clock: Clock;
  audit: AuditService;
  catalog: CatalogService;
  config: ConfigService;
  deployments: DeploymentService;
  portfolio: PortfolioService;
  releases: ReleaseService;
  close(): Promise<void>;
}

export function createServices(database: DatabaseHandle, clock: Clock = systemClock): Services {
  const db = database.db;
  const auditLog = new AuditLog({ clock });
  return {
    database,
    clock,
    audit: new AuditService({ db }),
    catalog: new CatalogService({ db }),
    config: new ConfigService({ db, clock, audit: auditLog }),
    deployments: new DeploymentService({ db, clock, audit: auditLog }),
    portfolio: new PortfolioService({ db }),
    releases: new ReleaseService({ db, clock, audit: auditLog }),
    close: () => database.close(),
  };
}

/** Opens the database, brings its schema up to date and wires the services over it. */
export async function startServices(dbUrl: string, clock: Clock = systemClock): Promise<Services> {
  const database = await openDatabase(dbUrl);
  try {
    await migrateToLatest(database.db as never);
  } catch (error) {
    await database.close();
    throw error;
  }
  return createServices(database, clock);
}
