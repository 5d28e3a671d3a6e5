import { CalendarService } from '../features/calendar/calendar-service.js';
import { ScheduleService } from '../features/calendar/schedule-service.js';
import { ConfigService } from '../features/config/config-service.js';
import { EvidenceService } from '../features/evidence/evidence-service.js';
import { ApprovalService } from '../features/gates/approval-service.js';
import { GateService } from '../features/gates/gate-service.js';
import { RunEngine } from '../features/plans/engine-service.js';
import { RunService } from '../features/plans/run-service.js';
import { ReportService } from '../features/reviews/report-service.js';
import { ReviewService } from '../features/reviews/review-service.js';
import { RiskService, riskReportSection } from '../features/risk/risk-service.js';
import { VersioningService } from '../features/versioning/versioning-service.js';
import { type Clock, systemClock } from './clock.js';
import { type CoreServices, createCoreServices } from './container-core.js';
import type { DatabaseHandle } from './db/database.js';
import { openMigratedDatabase } from './db/migrations.js';

/** The one place where stores and services are created and wired together (with container-core.ts). */
export interface Services extends Omit<CoreServices, 'auditLog'> {
  calendar: CalendarService;
  schedule: ScheduleService;
  config: ConfigService;
  evidence: EvidenceService;
  gates: GateService;
  approvals: ApprovalService;
  reviews: ReviewService;
  reports: ReportService;
  risk: RiskService;
  versioning: VersioningService;
  engine: RunEngine;
  runs: RunService;
  close(): Promise<void>;
}

export function createServices(database: DatabaseHandle, clock: Clock = systemClock): Services {
  const core = createCoreServices(database, clock);
  const { auditLog, ...coreServices } = core;
  const db = database.db;
  const calendar = new CalendarService({ db, clock, audit: auditLog });
  const gates = new GateService({ db, clock, windows: calendar });
  const reviews = new ReviewService({ db, clock, audit: auditLog });
  const schedule = new ScheduleService({ db, clock, audit: auditLog, calendar });
  const risk = new RiskService({ db, clock, audit: auditLog, freezes: schedule });
  const engine = new RunEngine({ db, clock, audit: auditLog, signals: database.signals });
  return {
    ...coreServices,
    calendar,
    schedule,
    config: new ConfigService({ db, clock, audit: auditLog }),
    evidence: new EvidenceService({ db, clock, audit: auditLog }),
    gates,
    approvals: new ApprovalService({ db, clock, audit: auditLog, gates }),
    reviews,
    reports: new ReportService({ db, clock, gates, reviews, sections: [riskReportSection(risk)] }),
    risk,
    versioning: new VersioningService({ catalog: core.catalog }),
    engine,
    runs: new RunService({ db, clock, audit: auditLog, engine, gates, calendar }),
    close: () => database.close(),
  };
}

/** Opens the database, brings its schema up to date and wires the services over it. */
export async function startServices(dbUrl: string, clock: Clock = systemClock): Promise<Services> {
  return createServices(await openMigratedDatabase(dbUrl), clock);
}
