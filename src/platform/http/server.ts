import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { auditRoutes } from '../../features/audit/audit-routes.js';
import { calendarFeedRoute, calendarRoutes } from '../../features/calendar/calendar-routes.js';
import { scheduleRoutes } from '../../features/calendar/schedule-routes.js';
import { configRoutes } from '../../features/config/config-routes.js';
import { deploymentRoutes } from '../../features/deployments/deployment-routes.js';
import { evidenceRoutes } from '../../features/evidence/evidence-routes.js';
import { gateRoutes } from '../../features/gates/gate-routes.js';
import { runRoutes } from '../../features/plans/run-routes.js';
import { portfolioRoutes } from '../../features/portfolio/portfolio-routes.js';
import { catalogRoutes } from '../../features/products/catalog-routes.js';
import { releaseRoutes } from '../../features/releases/release-routes.js';
import { reviewRoutes } from '../../features/reviews/review-routes.js';
import { riskRoutes } from '../../features/risk/risk-routes.js';
import { versioningRoutes } from '../../features/versioning/versioning-routes.js';
import type { Services } from '../container.js';
import { isConnectionError, isTransientConflict } from '../db/database.js';
import { AppError, type ErrorDetail, isAppError } from '../errors.js';
import { newId } from '../ids.js';
import { packageRoot } from '../paths.js';
import { allowedKeysIn, describeSchemaErrors, formatPath, type SchemaError } from '../validation.js';
import type { App } from './app.js';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

export interface ServerOptions {
  /** pino logger options, or false for none (tests). */
  logger?: boolean | { level: string };
  /** Folder with the built dashboard; served at `/` when present. */
  webRoot?: string;
  version?: string;
}

export interface DeclaredRoute {
  method: string;
  url: string;
  permission?: string;
  public: boolean;
}

const ROUTES = new WeakMap<object, DeclaredRoute[]>();

/** Every route the server registered, with what it declared: for the deny-by-default test and docs. */
export function routeTable(app: App): DeclaredRoute[] {
  return ROUTES.get(app) ?? [];
}

export async function buildServer(services: Services, options: ServerOptions = {}): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: () => newId(),
    bodyLimit: 10 * 1024 * 1024,
    // Requests Fastify rejects before routing (a malformed URL, a bad content type) get our error body too.
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Query strings and paths arrive as text, so their numbers and booleans are coerced; JSON bodies are
  // taken as sent, so `"version": 3` is a type error rather than silently becoming "3".
  const compilers = {
    strict: newAjv(false),
    coercing: newAjv('array'),
  };
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? compilers.strict : compilers.coercing).compile(schema));

  // Deny by default: a route that declares neither a permission nor `public: true` does not start.
  const table: DeclaredRoute[] = [];
  ROUTES.set(app, table);
  app.addHook('onRoute', (route) => {
    const config = route.config as { permission?: string; public?: boolean; rootPath?: string } | undefined;
    // @fastify/static marks the routes it adds for the dashboard's files with their rootPath: public.
    if (config && typeof config.rootPath === 'string') config.public = true;
    if (!config?.permission && !config?.public) {
      throw new Error(`route ${route.method} ${route.url} declares no permission (set config.permission or config.public)`);
    }
    table.push({ method: String(route.method), url: route.url, permission: config.permission, public: config.public === true });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(new AppError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );

  const { default: swagger } = await import('@fastify/swagger');
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Railyard API',
        version: options.version ?? '0.0.0',
        description: 'Release management: products, environments, releases, deployments, audit.',
      },
    },
  });

  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => {
    await services.database.db.selectFrom('audit_head').select('seq').executeTakeFirst();
    return { status: 'ok', database: services.database.dialect };
  });
  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (api) => {
      const scoped = api as unknown as App;
      catalogRoutes(scoped, services);
      releaseRoutes(scoped, services);
      deploymentRoutes(scoped, services);
      portfolioRoutes(scoped, services);
      auditRoutes(scoped, services);
      configRoutes(scoped, services);
      calendarRoutes(scoped, services);
      scheduleRoutes(scoped, services);
      versioningRoutes(scoped, services);
      evidenceRoutes(scoped, services);
      gateRoutes(scoped, services);
      reviewRoutes(scoped, services);
      riskRoutes(scoped, services);
      runRoutes(scoped, services);
    },
    { prefix: '/api/v1' },
  );

  // The iCalendar feed lives at the root: calendar apps subscribe to it with a feed token in the URL.
  calendarFeedRoute(app, services);
  await serveDashboard(app, options.webRoot ?? defaultWebRoot());
  return app;
}

function newAjv(coerceTypes: false | 'array'): Ajv {
  const ajv = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes, strict: false });
  addFormats(ajv);
  return ajv;
}

function defaultWebRoot(): string {
  return join(packageRoot(), 'dist', 'web');
}

async function serveDashboard(app: App, root: string): Promise<void> {
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/plain').send('Railyard API is running. The dashboard is not built: run `npm run build`.\n'),
    );
    return;
  }
  const { default: fastifyStatic } = await import('@fastify/static');
  // The plugin only provides reply.sendFile (safe path resolution, ranges, ETags); files are looked up when
  // asked for, so a rebuilt dashboard is served without a restart.
  await app.register(fastifyStatic, { root, serve: false });
  const topLevelFiles = new Set(
    readdirSync(root, { withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => f.name),
  );
  app.get('/*', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (path.startsWith('/api/')) throw new AppError('not_found', `no route GET ${path}`);
    // Vite names bundle files by content hash, so they never change; a missing one is a 404.
    if (path.startsWith('/assets/')) return reply.sendFile(path.slice(1), { maxAge: 31_536_000_000, immutable: true });
    if (topLevelFiles.has(path.slice(1))) return reply.sendFile(path.slice(1), { maxAge: 0 });
    // A dashboard route (/releases/web@1.0.0): the browser app routes it; send the shell.
    return reply.sendFile('index.html', { maxAge: 0 });
  });
}

function sendError(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  const errorId = newId();
  let body: { code: string; message: string; details: ErrorDetail[] };
  let status: number;
  const fe = error as FastifyError & { validationContext?: string };
  if (isAppError(error)) {
    status = error.status;
    body = { code: error.code, message: error.message, details: error.details };
  } else if (fe.validation) {
    const where = fe.validationContext ?? 'body';
    const input = (request as unknown as Record<string, unknown>)[where === 'querystring' ? 'query' : where];
    const problems = describeSchemaErrors(
      fe.validation as unknown as SchemaError[],
      (path) => path.reduce<unknown>((v, seg) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined), input),
      (path) => allowedKeysIn((request.routeOptions.schema as Record<string, unknown> | undefined)?.[where], path),
    );
    const details = problems.map((p) => ({ path: [where, formatPath(p.path)].filter(Boolean).join('.'), message: p.message }));
    status = 400;
    body = { code: 'validation_failed', message: details.map((d) => `${d.path}: ${d.message}`).join('; ') || 'invalid request', details };
  } else if (isConnectionError(error)) {
    // The database is restarting or unreachable: the pool reconnects, the client may try again.
    status = 503;
    body = { code: 'unavailable', message: `the database is unavailable (${fe.message}); try again shortly`, details: [] };
    request.log.warn({ errorId }, body.message);
  } else if (isTransientConflict(error)) {
    // Another transaction won (a deadlock broken, or SQLite's busy timeout): nothing was written.
    status = 503;
    body = { code: 'unavailable', message: 'the database gave up on a conflicting change; nothing was written, try again', details: [] };
    reply.header('retry-after', '1');
    request.log.warn({ errorId, err: error }, body.message);
  } else if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    status = fe.statusCode;
    body = { code: status === 404 ? 'not_found' : 'bad_request', message: fe.message, details: [] };
  } else {
    status = 500;
    body = { code: 'internal', message: `internal error; quote errorId ${errorId} when reporting it`, details: [] };
    request.log.error({ err: error, errorId }, 'unhandled error');
  }
  if (status < 500) request.log.info({ errorId, code: body.code }, body.message);
  return reply.status(status).send({ error: { ...body, errorId } });
}
