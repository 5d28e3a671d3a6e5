import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';
import { dialectOfDb } from '../database.js';

/** Runs of deployment plans, their steps and output, workers, and the outbox of notifications. */
export const m0005Plans: Migration = {
  async up(db: Kysely<unknown>) {
    const text = dialectOfDb(db) === 'postgres' ? sql`text collate "C"` : sql`text`;

    // One execution of a plan for a release into an environment. The plan is copied in at creation, so an
    // apply during the run does not change what it executes.
    await db.schema
      .createTable('runs')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('release_id', text, (c) => c.notNull().references('releases.id'))
      .addColumn('product_id', text, (c) => c.notNull().references('products.id'))
      .addColumn('environment_id', text, (c) => c.notNull().references('environments.id'))
      .addColumn('product', text, (c) => c.notNull())
      .addColumn('environment', text, (c) => c.notNull())
      .addColumn('version', text, (c) => c.notNull())
      .addColumn('plan_key', text, (c) => c.notNull())
      .addColumn('plan', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('redeploy', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('promoter', text, (c) => c.notNull())
      .addColumn('scheduled_at', text)
      .addColumn('error', text)
      .addColumn('deployment_id', text)
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('started_at', text)
      .addColumn('finished_at', text)
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('runs_env_status_idx').on('runs').columns(['environment_id', 'status', 'id']).execute();
    await db.schema.createIndex('runs_status_idx').on('runs').columns(['status', 'scheduled_at']).execute();
    await db.schema.createIndex('runs_release_idx').on('runs').columns(['release_id', 'id']).execute();

    await db.schema
      .createTable('step_runs')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('run_id', text, (c) => c.notNull().references('runs.id'))
      .addColumn('phase', text, (c) => c.notNull())
      .addColumn('key', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('spec', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('lost_leases', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('available_at', text)
      .addColumn('lease_owner', text)
      // The fencing token: raised by every claim; a worker's writes count only while it still matches.
      .addColumn('lease_token', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('lease_expires_at', text)
      .addColumn('started_at', text)
      .addColumn('finished_at', text)
      .addColumn('result', text)
      .addColumn('error', text)
      .addColumn('updated_at', text, (c) => c.notNull())
      .addUniqueConstraint('step_runs_run_phase_key_uq', ['run_id', 'phase', 'key'])
      .execute();
    await db.schema.createIndex('step_runs_claim_idx').on('step_runs').columns(['status', 'available_at']).execute();
    await db.schema.createIndex('step_runs_lease_idx').on('step_runs').columns(['status', 'lease_expires_at']).execute();

    await db.schema
      .createTable('step_logs')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('run_id', text, (c) => c.notNull())
      .addColumn('step_id', text, (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('stream', text, (c) => c.notNull())
      .addColumn('text', text, (c) => c.notNull())
      .addColumn('at', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('step_logs_run_idx').on('step_logs').columns(['run_id', 'id']).execute();

    await db.schema
      .createTable('workers')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('host', text, (c) => c.notNull())
      .addColumn('pid', 'integer', (c) => c.notNull())
      .addColumn('started_at', text, (c) => c.notNull())
      .addColumn('heartbeat_at', text, (c) => c.notNull())
      .addColumn('stopped_at', text)
      .execute();

    // Events for the notifications feature to deliver; written in the transaction of the change they tell of.
    await db.schema
      .createTable('outbox')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('event', text, (c) => c.notNull())
      .addColumn('subject_type', text, (c) => c.notNull())
      .addColumn('subject_id', text, (c) => c.notNull())
      .addColumn('payload', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('delivered_at', text)
      .execute();
    await db.schema.createIndex('outbox_pending_idx').on('outbox').columns(['delivered_at', 'id']).execute();
  },
};
