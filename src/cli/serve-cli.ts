import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../platform/paths.js';
import type { Program } from './context.js';
import { globalsOf } from './context.js';
import { reportError } from './output.js';

export function registerServeCommand(program: Program, version: string): void {
  program
    .command('serve')
    .description('serve the HTTP API and the dashboard')
    .option('--port <port>', 'port to listen on', (v) => Number.parseInt(v, 10), 8080)
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--demo', 'load the demo workspace into an empty database')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .option('--no-worker', 'do not execute deployment plans here (run `railyard worker` processes instead)')
    .action(async (o, cmd) => {
      const g = globalsOf(cmd);
      try {
        const [{ startServices }, { buildServer }] = await Promise.all([
          import('../platform/container.js'),
          import('../platform/http/server.js'),
        ]);
        const services = await startServices(g.db);
        let demoNote = '';
        if (o.demo) {
          const { loadDemo } = await import('../features/demo/demo-loader.js');
          const demoFile = join(packageRoot(), 'examples', 'demo', 'railyard.yaml');
          const result = await loadDemo(services, demoFile);
          demoNote = result.loaded
            ? `demo workspace loaded: ${result.products} products, ${result.releases} releases, ${result.deployments} deployments`
            : 'demo: the database already has products, left as it is';
        }
        const webRoot = join(packageRoot(), 'dist', 'web');
        const app = await buildServer(services, { logger: { level: o.logLevel }, version, webRoot });
        await app.listen({ port: o.port, host: o.host });
        let worker: { stop(): Promise<void>; id: string } | undefined;
        if (o.worker) {
          const { createWorker } = await import('../features/plans/worker-service.js');
          const embedded = createWorker(services, {});
          await embedded.start();
          worker = embedded;
        }
        const shown = o.host === '0.0.0.0' || o.host === '127.0.0.1' ? 'localhost' : o.host;
        const url = `http://${shown}:${o.port}`;
        process.stdout.write(
          [
            '',
            `Railyard ${version} is running`,
            `  dashboard  ${url}/${existsSync(join(webRoot, 'index.html')) ? '' : '   (not built: run npm run build)'}`,
            `  API        ${url}/api/v1   (OpenAPI: ${url}/api/v1/openapi.json)`,
            `  health     ${url}/healthz`,
            `  database   ${services.database.location}`,
            `  worker     ${worker ? `embedded (${worker.id})` : 'none here (--no-worker): start `railyard worker` processes'}`,
            ...(demoNote ? [`  ${demoNote}`] : []),
            '  stop with Ctrl-C',
            '',
          ].join('\n'),
        );
        const stop = async () => {
          await worker?.stop();
          await app.close();
          await services.close();
          process.exit(0);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') process.stderr.write(`error: port ${o.port} is already in use (choose another with --port)\n`);
        process.exitCode = e.code === 'EADDRINUSE' ? 1 : reportError(error, g.json);
        if (process.exitCode) process.exit(process.exitCode);
      }
    });
}
