import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';
import { dialectOfDb } from '../database.js';

/** Evidence, gate policies, approvals, reviews with votes, and the risk register. */
export const m0004Gates: Migration = {
  async up(db: Kysely<unknown>) {
    // Bytewise collation on PostgreSQL, as in 0001: ULIDs and keys sort the same on both databases.
    const text = dialectOfDb(db) === 'postgres' ? sql`text collate "C"` : sql`text`;

    // One row per submission; the current one for a (release, kind, source) has superseded_at null.
    await db.schema
      .createTable('evidence')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('release_id', text, (c) => c.notNull().references('releases.id'))
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('source', text, (c) => c.notNull())
      .addColumn('facts', text, (c) => c.notNull())
      .addColumn('digest', text, (c) => c.notNull())
      .addColumn('actor', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('superseded_at', text)
      .execute();
    await db.schema.createIndex('evidence_release_idx').on('evidence').columns(['release_id', 'kind', 'source', 'id']).execute();

    // Gates and review templates declared in railyard.yaml, keyed by (kind, key), archived like the rest.
    await db.schema
      .createTable('policies')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('key', text, (c) => c.notNull())
      .addColumn('spec', text, (c) => c.notNull())
      .addColumn('archived_at', text)
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .addUniqueConstraint('policies_kind_key_uq', ['kind', 'key'])
      .execute();

    await db.schema
      .createTable('approvals')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('release_id', text, (c) => c.notNull().references('releases.id'))
      .addColumn('environment_id', text, (c) => c.notNull().references('environments.id'))
      .addColumn('approver', text, (c) => c.notNull())
      .addColumn('role', text)
      .addColumn('comment', text, (c) => c.notNull().defaultTo(''))
      .addColumn('digest', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('revoked_at', text)
      .execute();
    await db.schema.createIndex('approvals_release_env_idx').on('approvals').columns(['release_id', 'environment_id', 'id']).execute();

    await db.schema
      .createTable('reviews')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('release_id', text, (c) => c.notNull().references('releases.id'))
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('template', text, (c) => c.notNull())
      // The decision rule copied from the template at opening (JSON), so later config edits do not move it.
      .addColumn('rule', text, (c) => c.notNull())
      .addColumn('checklist', text, (c) => c.notNull())
      .addColumn('decision', text)
      .addColumn('minutes', text, (c) => c.notNull().defaultTo(''))
      .addColumn('opened_by', text, (c) => c.notNull())
      .addColumn('opened_at', text, (c) => c.notNull())
      .addColumn('decided_at', text)
      .execute();
    await db.schema.createIndex('reviews_release_idx').on('reviews').columns(['release_id', 'kind', 'id']).execute();

    await db.schema
      .createTable('review_votes')
      .addColumn('review_id', text, (c) => c.notNull().references('reviews.id'))
      .addColumn('voter', text, (c) => c.notNull())
      .addColumn('vote', text, (c) => c.notNull())
      .addColumn('role', text)
      .addColumn('comment', text, (c) => c.notNull().defaultTo(''))
      .addColumn('at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('review_votes_pk', ['review_id', 'voter'])
      .execute();

    await db.schema
      .createTable('risks')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('release_id', text, (c) => c.notNull().references('releases.id'))
      .addColumn('title', text, (c) => c.notNull())
      .addColumn('likelihood', 'integer', (c) => c.notNull())
      .addColumn('impact', 'integer', (c) => c.notNull())
      .addColumn('owner', text)
      .addColumn('mitigation', text, (c) => c.notNull().defaultTo(''))
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('blocker', 'integer', (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('risks_release_idx').on('risks').columns(['release_id', 'id']).execute();
  },
};
