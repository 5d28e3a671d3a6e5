import { type Kysely, type Migration, sql } from 'kysely';
import { dialectOfDb } from '../database.js';

/** The release calendar: windows (freezes, maintenance windows), overrides, planned release windows, bookings, feed tokens. */
export const m0002Calendar: Migration = {
  async up(db: Kysely<unknown>) {
    // Bytewise order on PostgreSQL too (see 0001): ids and ISO times sort the same on both databases.
    const text = dialectOfDb(db) === 'postgres' ? sql`text collate "C"` : sql`text`;

    await db.schema
      .createTable('calendar_windows')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('key', text, (c) => c.notNull().unique())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('severity', text, (c) => c.notNull())
      .addColumn('source', text, (c) => c.notNull())
      .addColumn('spec', text, (c) => c.notNull())
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('archived_at', text)
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();

    // One row whose version every window or override change bumps: services cache compiled windows until it moves.
    await db.schema
      .createTable('calendar_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into calendar_state (id, version) values (1, 0)`.execute(db);

    await db.schema
      .createTable('calendar_overrides')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('window_id', text, (c) => c.notNull().references('calendar_windows.id'))
      .addColumn('environment_id', text, (c) => c.notNull().references('environments.id'))
      .addColumn('product_id', text, (c) => c.references('products.id'))
      .addColumn('starts_at', text, (c) => c.notNull())
      .addColumn('ends_at', text, (c) => c.notNull())
      .addColumn('reason', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('requested_by', text, (c) => c.notNull())
      .addColumn('approved_by', text)
      .addColumn('approved_at', text)
      .addColumn('revoked_by', text)
      .addColumn('revoked_at', text)
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('calendar_overrides_env_idx').on('calendar_overrides').columns(['environment_id', 'ends_at']).execute();

    await db.schema
      .createTable('release_plans')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('release_id', text, (c) => c.notNull().references('releases.id'))
      .addColumn('environment_id', text, (c) => c.notNull().references('environments.id'))
      .addColumn('starts_at', text, (c) => c.notNull())
      .addColumn('ends_at', text, (c) => c.notNull())
      .addColumn('created_by', text, (c) => c.notNull())
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .addUniqueConstraint('release_plans_release_env_uq', ['release_id', 'environment_id'])
      .execute();
    await db.schema.createIndex('release_plans_env_start_idx').on('release_plans').columns(['environment_id', 'starts_at']).execute();

    await db.schema
      .createTable('calendar_bookings')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('release_id', text, (c) => c.notNull().references('releases.id'))
      .addColumn('environment_id', text, (c) => c.notNull().references('environments.id'))
      .addColumn('starts_at', text, (c) => c.notNull())
      .addColumn('ends_at', text, (c) => c.notNull())
      .addColumn('note', text, (c) => c.notNull())
      .addColumn('forced', 'integer', (c) => c.notNull())
      .addColumn('force_reason', text)
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('created_by', text, (c) => c.notNull())
      .addColumn('cancelled_by', text)
      .addColumn('cancelled_at', text)
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('calendar_bookings_env_start_idx')
      .on('calendar_bookings')
      .columns(['environment_id', 'starts_at'])
      .execute();

    await db.schema
      .createTable('calendar_feed_tokens')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('user_name', text, (c) => c.notNull())
      .addColumn('token_hash', text, (c) => c.notNull().unique())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('revoked_at', text)
      .execute();
    await db.schema.createIndex('calendar_feed_tokens_user_idx').on('calendar_feed_tokens').columns(['user_name']).execute();
  },
};
