import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimedStep } from './engine-service.js';
import type { StepSpec } from './plan.js';
import { executeStep } from './step-executor.js';

function claimed(spec: Partial<StepSpec> & Pick<StepSpec, 'kind'>): ClaimedStep {
  return {
    id: 'step-1',
    runId: 'run-1',
    phase: 'deploy',
    key: spec.kind,
    token: 1,
    attempt: 1,
    environment: 'staging',
    product: 'shop',
    spec: {
      key: spec.kind,
      name: spec.kind,
      needs: [],
      timeoutMs: null,
      retries: 0,
      backoffMs: 1000,
      onFailure: 'rollback',
      idempotent: true,
      secrets: [],
      env: {},
      cwd: null,
      ...spec,
    },
    vars: {
      RAILYARD_RUN_ID: 'run-1',
      RAILYARD_STEP_KEY: spec.kind,
      RAILYARD_ATTEMPT: '1',
      RAILYARD_PRODUCT: 'shop',
      RAILYARD_VERSION: '1.2.3',
      RAILYARD_ENV: 'staging',
      RAILYARD_IDEMPOTENCY_KEY: 'run-1:deploy:step',
    },
  };
}

function context() {
  const lines: string[] = [];
  return { lines, ctx: { signal: new AbortController().signal, log: (_: string, text: string) => lines.push(text) } };
}

describe('probes and requests of steps', () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-probe-'));
    writeFileSync(join(dir, 'ready'), '');
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a verify command runs in the step’s cwd, like a run command', async () => {
    const { ctx } = context();
    const verify = { http: null, run: ['test', '-f', 'ready'], forMs: 0, timeoutMs: 5_000, intervalMs: 100 };
    const outcome = await executeStep(claimed({ kind: 'verify', verify, cwd: dir }), ctx);
    expect(outcome).toMatchObject({ kind: 'succeeded' });
  });

  it('an http step shows its URL with the run variables in it, and only declared secrets hidden', async () => {
    process.env.PROBE_TEST_TOKEN = 'tok-secret-123';
    try {
      const { lines, ctx } = context();
      const http = {
        method: 'POST',
        url: `${base}/deploy/\${RAILYARD_PRODUCT}/\${RAILYARD_ENV}?token=\${PROBE_TEST_TOKEN}`,
        headers: {},
        body: null,
        expectStatus: [200],
      };
      const outcome = await executeStep(claimed({ kind: 'http', http, secrets: ['PROBE_TEST_TOKEN'] }), ctx);
      expect(outcome).toMatchObject({ kind: 'succeeded', result: { status: 200 } });
      expect(lines[0]).toBe(`POST ${base}/deploy/shop/staging?token=*** → 200\n`);
    } finally {
      delete process.env.PROBE_TEST_TOKEN;
    }
  });
});
