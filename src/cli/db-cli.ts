import { once } from 'node:events';
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { DatabaseHandle } from '../platform/db/database.js';
import { AppError, isAppError } from '../platform/errors.js';
import type { Program } from './context.js';
import { globalsOf } from './context.js';
import { emit, fields, reportError, table } from './output.js';

/** Exit code of `db status` when the database and this Railyard disagree (migrations pending or unknown). */
const NOT_UP_TO_DATE = 3;

export function registerDbCommands(program: Program): void {
  const db = program
    .command('db')
    .description('the database itself: migrations, and a portable dump to move between SQLite and PostgreSQL');

  db.command('migrate')
    .description('apply the migrations this Railyard has and the database has not (every command does this on start)')
    .action(async (_o, cmd) =>
      onDatabase(cmd, { create: true }, async (database, json) => {
        const { migrateToLatest, appliedMigrations, knownMigrations } = await import('../platform/db/migrations.js');
        const applied = await migrateToLatest(database.db as never);
        const names = (await appliedMigrations(database.db as never)).map((m) => m.name);
        const migration = names.at(-1) ?? null;
        // Recorded by a newer Railyard: this one leaves them be and runs, but should be upgraded.
        const newer = names.filter((n) => !knownMigrations().includes(n));
        const result = {
          applied,
          upToDate: applied.length === 0,
          migration,
          newer,
          dialect: database.dialect,
          location: database.location,
        };
        await emit(json, result, () =>
          applied.length === 0
            ? `up to date: ${database.location} (${database.dialect}) is at ${migration}${newer.length > 0 ? `, newer than this Railyard (${knownMigrations().at(-1)}): upgrade Railyard` : ''}`
            : `applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${database.location} (${database.dialect}): ${applied.join(', ')}`,
        );
        return 0;
      }),
    );

  db.command('status')
    .description(`list every migration, applied or pending; exit ${NOT_UP_TO_DATE} unless the database is up to date`)
    .action(async (_o, cmd) =>
      onDatabase(cmd, { create: false }, async (database, json) => {
        const { migrationStates, knownMigrations } = await import('../platform/db/migrations.js');
        const migrations = database.db
          ? await migrationStates(database.db as never)
          : knownMigrations().map((name) => ({ name, status: 'pending' as const, appliedAt: null }));
        const pending = migrations.filter((m) => m.status === 'pending').length;
        const unknown = migrations.filter((m) => m.status === 'unknown').length;
        const result = {
          dialect: database.dialect,
          location: database.location,
          upToDate: pending + unknown === 0,
          pending,
          unknown,
          migrations,
        };
        await emit(json, result, async () =>
          [
            fields([
              ['database', `${database.location} (${database.dialect})${database.db ? '' : ' — does not exist yet'}`],
              [
                'status',
                unknown > 0
                  ? `migrated by a newer Railyard (${unknown} migration${unknown === 1 ? '' : 's'} this version does not know): upgrade Railyard`
                  : pending > 0
                    ? `${pending} pending: run \`railyard db migrate\``
                    : 'up to date',
              ],
            ]),
            await table(
              ['MIGRATION', 'STATUS', 'APPLIED AT'],
              migrations.map((m) => [m.name, m.status, m.appliedAt]),
            ),
          ].join('\n'),
        );
        return result.upToDate ? 0 : NOT_UP_TO_DATE;
      }),
    );

  db.command('export')
    .description('write the whole database as a portable JSON-lines dump (reads only; one consistent snapshot)')
    .option('--out <file>', 'where to write it; - for standard output', '-')
    .action(async (o, cmd) =>
      onDatabase(cmd, { create: false }, async (database, json) => {
        if (!database.db) throw new AppError('not_found', `no database at ${database.location}: nothing to export`);
        const { exportDump } = await import('../platform/db/dump-export.js');
        const { systemClock } = await import('../platform/clock.js');
        if (o.out === '-') {
          await exportDump(database as DatabaseHandle, systemClock, writer(process.stdout, 'standard output'));
          return 0;
        }
        // Written beside the target and renamed at the end: the file named by --out is whole or absent.
        const target = resolve(o.out);
        const partial = `${target}.partial-${process.pid}`;
        const out = createWriteStream(partial, { flags: 'wx' });
        try {
          const summary = await exportDump(database as DatabaseHandle, systemClock, writer(out, target));
          out.end();
          await once(out, 'close');
          // On disk before it takes the name: a crash after the rename must not leave a short file called a backup.
          const fd = openSync(partial, 'r');
          fsyncSync(fd);
          closeSync(fd);
          renameSync(partial, target);
          await emit(
            json,
            { file: target, ...summary },
            () =>
              `exported ${summary.rows} rows from ${Object.keys(summary.tables).length} tables of ${database.location} (${summary.dialect}, ${summary.migration}) to ${target}`,
          );
          return 0;
        } catch (error) {
          out.destroy();
          rmSync(partial, { force: true });
          throw error;
        }
      }),
    );

  db.command('import')
    .description('load a dump from `db export` into an empty database, in one transaction (--replace: wipe it first)')
    .argument('<file>', 'the dump; - for standard input')
    .option('--replace', 'delete everything the database holds first (in the same transaction)', false)
    .action(async (file, o, cmd) =>
      onDatabase(cmd, { create: true }, async (database, json) => {
        const label = file === '-' ? 'standard input' : file;
        if (file !== '-' && !(existsSync(file) && statSync(file).isFile())) throw new AppError('not_found', `no file ${file}`);
        const [{ migrateToLatest }, { importDump }, { AuditService }] = await Promise.all([
          import('../platform/db/migrations.js'),
          import('../platform/db/dump-import.js'),
          import('../features/audit/audit-service.js'),
        ]);
        await migrateToLatest(database.db as never);
        const input = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
        const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
        let audit = { events: 0, headHash: '' };
        const importing = importDump(database as DatabaseHandle, lines, {
          file: label,
          replace: o.replace,
          check: async (trx) => {
            // The rows are the source's, byte for byte, so its chain verifies here too — unless the file was edited.
            const r = await new AuditService({ db: trx as never }).verify();
            if (!r.ok) {
              throw new AppError(
                'integrity_failed',
                `the audit chain in ${label} does not verify at event #${r.firstBroken?.seq}: ${r.firstBroken?.reason}; nothing was imported`,
              );
            }
            audit = { events: r.events, headHash: r.headHash };
          },
        });
        const summary = await importing.finally(() => {
          lines.close();
          input.destroy();
        });
        const result = { file: label, ...summary, dialect: database.dialect, location: database.location, audit };
        await emit(json, result, () =>
          [
            `imported ${summary.rows} rows into ${Object.keys(summary.tables).length} tables of ${database.location} (${database.dialect}) from ${label} (exported from ${summary.sourceDialect} at ${summary.migration})${summary.replaced ? ', replacing what it held' : ''}`,
            `audit chain intact: ${audit.events} events`,
          ].join('\n'),
        );
        return 0;
      }),
    );
}

/** The database as a db command sees it: `db` is absent when a SQLite file does not exist and may not be created. */
interface Target {
  db: DatabaseHandle['db'] | undefined;
  dialect: DatabaseHandle['dialect'];
  location: string;
  close(): Promise<void>;
}

/**
 * Opens `--db` for a db command without migrating it (status and export report the database as it is). A
 * SQLite file that does not exist is created only when `create`. `--server` is refused: these commands work
 * on the database itself.
 */
async function onDatabase(
  command: { optsWithGlobals(): unknown; error(message: string, options?: { exitCode?: number }): never },
  options: { create: boolean },
  body: (database: Target, json: boolean) => Promise<number>,
): Promise<void> {
  const g = globalsOf(command);
  if (g.server) command.error('error: db commands work on the database itself: use --db (or RAILYARD_DB), not --server', { exitCode: 2 });
  let target: Target | undefined;
  try {
    const { openDatabase, dialectOf, sqliteFile } = await import('../platform/db/database.js');
    if (!options.create && dialectOf(g.db) === 'sqlite' && g.db !== ':memory:' && !existsSync(sqliteFile(g.db))) {
      target = { db: undefined, dialect: 'sqlite', location: sqliteFile(g.db), close: async () => {} };
    } else {
      target = await openDatabase(g.db);
    }
    process.exitCode = await body(target, g.json);
  } catch (error) {
    // A driver's or the system's own error (refused connection, wrong password, missing directory) names the database.
    const code = (error as { code?: unknown }).code;
    const known = isAppError(error) || typeof code !== 'string';
    const where = target?.location ?? g.db;
    process.exitCode = reportError(known ? error : new AppError('unavailable', `${where}: ${(error as Error).message}`), g.json);
  } finally {
    await target?.close().catch(() => {});
  }
}

/** Writes to a stream, waiting whenever it is full; a stream error (a closed pipe, a full disk) fails the next write. */
function writer(stream: Writable, label: string): (chunk: string) => Promise<void> {
  let failed: AppError | undefined;
  const fail = (error: NodeJS.ErrnoException) => {
    failed ??=
      error.code === 'EPIPE'
        ? new AppError('unavailable', `${label} was closed before the dump was complete`)
        : new AppError('bad_request', `cannot write ${label}: ${error.message}`);
    return failed;
  };
  stream.on('error', fail);
  return async (chunk) => {
    if (failed) throw failed;
    if (!stream.write(chunk)) await once(stream, 'drain').catch((error) => Promise.reject(fail(error)));
    if (failed) throw failed;
  };
}
