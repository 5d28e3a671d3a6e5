import type { Queryable } from './database.js';

/** Tables of things declared in railyard.yaml: deleting one from the file archives it, keeping its history. */
export type DeclaredTable = 'products' | 'environments' | 'tracks' | 'trains';

export async function archiveByKey(db: Queryable, table: DeclaredTable, key: string, now: string): Promise<string | undefined> {
  const row = await db
    .updateTable(table)
    .set({ archived_at: now, updated_at: now })
    .where('key', '=', key)
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}
