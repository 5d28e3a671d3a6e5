// A stand-in for the service the example plan deploys. It remembers which version runs, which migrations were
// applied (once per idempotency key) and which versions are broken, and answers /health.
//
//   node fake-service.mjs               start it on 127.0.0.1:$PORT (default 4817)
//   node fake-service.mjs status        print what the running service knows
//   node fake-service.mjs break 1.1.0   make version 1.1.0 broken: /health answers 503 while it runs
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 4817);
const base = `http://127.0.0.1:${port}`;
const [command, arg] = process.argv.slice(2);

if (command === 'status' || command === 'break') {
  const response = await fetch(command === 'status' ? `${base}/` : `${base}/admin/broken`, {
    method: command === 'status' ? 'GET' : 'POST',
    body: command === 'break' ? JSON.stringify({ version: arg }) : undefined,
  }).catch((error) => {
    console.error(
      `the fake service does not answer on ${base} (${error.cause?.code ?? error.message}): start it with node fake-service.mjs`,
    );
    process.exit(1);
  });
  console.log((await response.text()).trim());
  process.exit(response.ok ? 0 : 1);
} else if (command !== undefined) {
  console.error('usage: node fake-service.mjs [status | break VERSION]');
  process.exit(2);
}

const state = { version: null, deployed: [], migrations: {}, broken: [] };

const routes = {
  'GET /': () => [200, state],
  'GET /health': () => {
    if (state.version === null) return [503, { status: 'down', reason: 'nothing is deployed' }];
    if (state.broken.includes(state.version)) return [503, { status: 'down', version: state.version, reason: 'this version is broken' }];
    return [200, { status: 'ok', version: state.version }];
  },
  'POST /migrations': ({ version, key }) => {
    if (state.migrations[key]) return [200, { applied: false, note: `already applied for ${state.migrations[key]}` }];
    state.migrations[key] = version;
    log(`migrated the database for ${version} (key ${key})`);
    return [201, { applied: true }];
  },
  'POST /deploy': ({ version }) => {
    if (state.version !== version) state.deployed.push(version);
    state.version = version;
    log(`now running ${version}`);
    return [200, { version }];
  },
  'POST /rollback': ({ from }) => {
    if (state.version !== from) return [200, { version: state.version, note: `${from} is not running: nothing to do` }];
    const previous = state.deployed.findLast((v) => v !== from) ?? null;
    state.version = previous;
    if (previous !== null) state.deployed.push(previous);
    log(previous === null ? `stopped ${from}: no earlier version to go back to` : `rolled back from ${from} to ${previous}`);
    return [200, { version: previous }];
  },
  'POST /admin/broken': ({ version }) => {
    if (!state.broken.includes(version)) state.broken.push(version);
    log(`version ${version} is broken from now on`);
    return [200, { broken: state.broken }];
  },
};

function log(message) {
  console.log(`${new Date().toISOString()} ${message}`);
}

const server = createServer(async (req, res) => {
  const route = routes[`${req.method} ${new URL(req.url, base).pathname}`];
  let body = {};
  try {
    let text = '';
    for await (const chunk of req) text += chunk;
    body = text ? JSON.parse(text) : {};
  } catch {
    res.writeHead(400).end('the body is not JSON\n');
    return;
  }
  const [status, answer] = route ? route(body) : [404, { error: `no route ${req.method} ${req.url}` }];
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(answer)}\n`);
});
server.on('error', (error) => {
  console.error(error.code === 'EADDRINUSE' ? `port ${port} is taken: is the fake service running already?` : error.message);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => log(`fake service listening on ${base} (stop it with Ctrl-C)`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
