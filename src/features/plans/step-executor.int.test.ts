import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/support/databases.js';
import { type FakeService, openPlanHarness, type PlanHarness, processAlive, startFakeService } from '../../../test/support/plans.js';

const argv = (...args: string[]) => JSON.stringify(args);
const SECRET = 'tok-9f3c2e71a8d54b06';
const SECRET_NAME = 'RAILYARD_TEST_DEPLOY_TOKEN';

function config(dir: string, svc: string): string {
  return `plans:
  - key: hangs
    steps:
      - key: deploy
        # Ignores SIGTERM (and so does the child it starts): the timeout must end with SIGKILL to the group.
        run: ${argv('sh', '-c', 'trap "" TERM; sleep 60 & echo $! > "$PIDFILE"; echo started; wait; wait')}
        env: { PIDFILE: "${join(dir, 'timeout.pid')}" }
        timeout: 1s
  - key: chatty
    steps:
      - { key: flood, run: ${argv('sh', '-c', 'echo first line; yes | head -c 1000000000; echo; echo last line >&2')} }
      - { key: after, needs: [flood], run: ${argv('sh', '-c', 'echo still here')} }
  - key: missing
    steps:
      - { key: deploy, run: ${argv('railyard-no-such-command', '--now')}, retries: 3, backoff: 50ms }
  - key: secretive
    steps:
      - key: deploy
        run: ${argv('sh', '-c', `echo "token=$${SECRET_NAME}"; printf '%s' "$${SECRET_NAME}" >&2; echo "short=$SHORT"`)}
        secrets: [${SECRET_NAME}]
        env: { SHORT: "abc" }
      - key: call
        needs: [deploy]
        http:
          method: POST
          url: "${svc}/echo?token=$\{${SECRET_NAME}}"
          headers: { authorization: "Bearer $\{${SECRET_NAME}}" }
          body: { token: "$\{${SECRET_NAME}}", run: "$\{RAILYARD_RUN_ID}" }
        secrets: [${SECRET_NAME}]
  - key: unset-secret
    steps:
      - { key: deploy, run: ${argv('true')}, secrets: [RAILYARD_TEST_NOT_SET] }
environments:
  - { key: hang-env, tier: staging, plan: hangs }
  - { key: chatty-env, tier: staging, plan: chatty }
  - { key: missing-env, tier: staging, plan: missing }
  - { key: secret-env, tier: staging, plan: secretive }
  - { key: unset-env, tier: staging, plan: unset-secret }
products:
  - key: shop
`;
}

describe.each(DIALECTS)('executing steps (%s)', (dialect) => {
  let h: PlanHarness;
  let dir: string;
  let svc: FakeService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-steps-'));
    svc = await startFakeService((req, body, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url, authorization: req.headers.authorization, body }));
    });
    process.env[SECRET_NAME] = SECRET;
    h = await openPlanHarness(dialect, config(dir, svc.url));
    await h.startWorker({ leaseMs: 2_000 });
  });
  afterAll(async () => {
    delete process.env[SECRET_NAME];
    await h?.close();
    await svc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a step that hangs past its timeout is killed with its whole process group, even when it ignores SIGTERM', async () => {
    await h.release('shop@1.0.0');
    const run = await h.finished((await h.promote('shop@1.0.0', 'hang-env')).id);
    expect(run).toMatchObject({ status: 'failed', error: 'step deploy failed: command timed out after 1s' });
    expect(run.steps[0]?.result).toMatchObject({ signal: 'SIGKILL' });
    const grandchild = Number(readFileSync(join(dir, 'timeout.pid'), 'utf8'));
    expect(processAlive(grandchild)).toBe(false);
    expect(await h.output(run.id)).toBe('started\n');
  });

  it('a step that prints a gigabyte is stored capped, with a note of what was dropped, and the run completes', async () => {
    await h.release('shop@1.0.1');
    const run = await h.finished((await h.promote('shop@1.0.1', 'chatty-env')).id, 60_000);
    expect(run.status).toBe('succeeded');
    const logs = await h.logs(run.id, 'flood');
    const stored = logs.filter((l) => l.stream !== 'system').reduce((n, l) => n + Buffer.byteLength(l.text), 0);
    expect(stored).toBeLessThanOrEqual(256 * 1024);
    const text = logs.map((l) => l.text).join('');
    // The head of the output, without gaps: a line from the end kept after what was dropped would mislead.
    expect(text).toMatch(/^first line\n(y\n)+\[output truncated: \d+ bytes beyond the 262144-byte limit were not stored\]\n$/);
    const note = logs.filter((l) => l.stream === 'system').map((l) => l.text);
    expect(note).toHaveLength(1);
    const dropped = Number(/^\[output truncated: (\d+) bytes beyond the 262144-byte limit were not stored\]\n$/.exec(note[0] ?? '')?.[1]);
    // Everything printed is either stored or counted as dropped.
    expect(dropped + stored).toBe(1_000_000_000 + 'first line\n'.length + '\n'.length + 'last line\n'.length);
    expect(await h.output(run.id, 'after')).toBe('still here\n');
  }, 90_000);

  it('a command that does not exist fails at once with a clear message and is not retried', async () => {
    await h.release('shop@1.0.2');
    const run = await h.finished((await h.promote('shop@1.0.2', 'missing-env')).id);
    expect(run.status).toBe('failed');
    expect(run.steps[0]).toMatchObject({
      status: 'failed',
      attempt: 1,
      error: "command 'railyard-no-such-command' not found: is it installed on the worker and on its PATH?",
    });
  });

  it('redacts secret values from stored output, the request it logs and the response body', async () => {
    await h.release('shop@1.0.3');
    const run = await h.finished((await h.promote('shop@1.0.3', 'secret-env')).id);
    expect(run.status).toBe('succeeded');
    // The secret reached the command and the service…
    const request = svc.requests.find((r) => r.url.startsWith('/echo'));
    expect(request?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(JSON.parse(request?.body ?? '{}')).toEqual({ token: SECRET, run: run.id });
    // …but not the stored output, even without a newline after it. Values under 4 characters are not redacted.
    const logs = await h.logs(run.id);
    for (const l of logs) expect(l.text).not.toContain(SECRET);
    expect(await h.output(run.id, 'deploy')).toBe('token=***\nshort=abc\n***\n');
    const call = await h.output(run.id, 'call');
    expect(call).toContain(`POST ${svc.url}/echo?token=*** → 200`);
    expect(call).toContain('"authorization":"Bearer ***"');
  });

  it('a step naming a secret the worker does not have fails with a message that says where to set it', async () => {
    await h.release('shop@1.0.4');
    const run = await h.finished((await h.promote('shop@1.0.4', 'unset-env')).id);
    expect(run.steps[0]).toMatchObject({
      status: 'failed',
      error: "secret RAILYARD_TEST_NOT_SET is not set in the worker's environment (declare it there: the step lists it under secrets:)",
    });
  });
});
