import { type Kysely, type Migration, sql } from 'kysely';
import { dialectOfDb } from '../database.js';

/** Products, environments, tracks, trains, releases, changes, deployments and the audit chain. */
export const m0001Core: Migration = {
  async up(db: Kysely<unknown>) {
    // SQLite compares text bytewise; PostgreSQL would follow the database's locale, in which keys list in
    // another order (en-US: `a_b` < `a-b` < `a0`) and so may ULIDs, which keyset paging and "newest" rely on
    // (Danish sorts `AA` after `AB`). Collation "C" is the bytewise order on every PostgreSQL server.
    const text = dialectOfDb(db) === 'postgres' ? sql`text collate "C"` : sql`text`;
    const versioned = (name: string) =>
      db.schema
        .createTable(name)
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('key', text, (c) => c.notNull().unique())
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('spec', text, (c) => c.notNull())
        .addColumn('archived_at', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull());

    await versioned('products')
      .addColumn('description', text, (c) => c.notNull().defaultTo(''))
      .addColumn('repo', text)
      .addColumn('path', text)
      .addColumn('tag_format', text, (c) => c.notNull())
      .addColumn('owners', text, (c) => c.notNull())
      .addColumn('notify', text, (c) => c.notNull())
      .addColumn('track_key', text)
      .execute();

    await db.schema
      .createTable('product_dependencies')
      .addColumn('product_id', text, (c) => c.notNull().references('products.id'))
      .addColumn('depends_on_id', text, (c) => c.notNull().references('products.id'))
      .addColumn('version_range', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('product_dependencies_pk', ['product_id', 'depends_on_id'])
      .execute();

    await versioned('environments')
      .addColumn('tier', text, (c) => c.notNull())
      .addColumn('timezone', text, (c) => c.notNull())
      .addColumn('protected', 'integer', (c) => c.notNull())
      .addColumn('concurrency', 'integer', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .execute();

    await versioned('tracks').execute();
    await db.schema
      .createTable('track_environments')
      .addColumn('track_id', text, (c) => c.notNull().references('tracks.id'))
      .addColumn('environment_id', text, (c) => c.notNull().references('environments.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('track_environments_pk', ['track_id', 'position'])
      .execute();

    await versioned('trains').execute();
    await db.schema
      .createTable('train_products')
      .addColumn('train_id', text, (c) => c.notNull().references('trains.id'))
      .addColumn('product_id', text, (c) => c.notNull().references('products.id'))
      .addPrimaryKeyConstraint('train_products_pk', ['train_id', 'product_id'])
      .execute();

    await db.schema
      .createTable('releases')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('product_id', text, (c) => c.notNull().references('products.id'))
      .addColumn('version', text, (c) => c.notNull())
      .addColumn('title', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('target_date', text)
      .addColumn('author', text)
      .addColumn('train_id', text, (c) => c.references('trains.id'))
      .addColumn('notes', text, (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .addColumn('released_at', text)
      .addUniqueConstraint('releases_product_version_uq', ['product_id', 'version'])
      .execute();
    await db.schema.createIndex('releases_product_id_idx').on('releases').columns(['product_id', 'id']).execute();
    await db.schema.createIndex('releases_status_id_idx').on('releases').columns(['status', 'id']).execute();
    await db.schema.createIndex('releases_train_id_idx').on('releases').columns(['train_id', 'id']).execute();

    await db.schema
      .createTable('changes')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('release_id', text, (c) => c.notNull().references('releases.id'))
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('type', text, (c) => c.notNull())
      .addColumn('ref', text, (c) => c.notNull())
      .addColumn('title', text, (c) => c.notNull())
      .addColumn('author', text)
      .addColumn('link', text)
      .addColumn('breaking', 'integer', (c) => c.notNull())
      .addColumn('after_freeze', 'integer', (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('changes_release_idx').on('changes').columns(['release_id', 'id']).execute();

    await db.schema
      .createTable('deployments')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('release_id', text, (c) => c.notNull().references('releases.id'))
      .addColumn('product_id', text, (c) => c.notNull().references('products.id'))
      .addColumn('environment_id', text, (c) => c.notNull().references('environments.id'))
      .addColumn('version', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('actor', text, (c) => c.notNull())
      .addColumn('started_at', text, (c) => c.notNull())
      .addColumn('finished_at', text)
      .execute();
    await db.schema.createIndex('deployments_product_env_idx').on('deployments').columns(['product_id', 'environment_id', 'id']).execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('id', text, (c) => c.notNull().unique())
      .addColumn('at', text, (c) => c.notNull())
      .addColumn('actor', text, (c) => c.notNull())
      .addColumn('action', text, (c) => c.notNull())
      .addColumn('subject_type', text, (c) => c.notNull())
      .addColumn('subject_id', text, (c) => c.notNull())
      .addColumn('before_state', text)
      .addColumn('after_state', text)
      .addColumn('prev_hash', text, (c) => c.notNull())
      .addColumn('hash', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_events_subject_idx').on('audit_events').columns(['subject_type', 'subject_id', 'seq']).execute();
    // One row that every audit write updates first: it serialises writers of the chain on both dialects.
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('hash', text, (c) => c.notNull())
      .execute();
    await sql`insert into audit_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(db);
  },
};
