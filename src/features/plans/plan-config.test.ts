// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is how plans write run variables, and these tests are about them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACCEPTANCE_YAML } from '../../../test/support/plan-fixtures.js';
import { AppError, formatDetail } from '../../platform/errors.js';
import { parseConfig } from '../config/config-document.js';
import { normalize } from '../config/config-plan.js';
import { jsonSchemaDocument } from '../config/config-schema.js';
import { planSpecs } from './plan-config.js';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'railyard.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).details.map(formatDetail);
  }
  throw new Error('expected the config to be rejected');
}

/** A file with one plan `p` whose steps are the given YAML lines (indented as list items under steps:). */
function planWith(...stepLines: string[]): string {
  return ['plans:', '  - key: p', '    steps:', ...stepLines.map((l) => `      ${l}`), ''].join('\n');
}

const run = { timeoutMs: null, retries: 0, backoffMs: 1000, secrets: [], env: {}, cwd: null };

describe('plans in railyard.yaml', () => {
  it('reads the acceptance example, filling in every default', () => {
    const desired = normalize(parseConfig(ACCEPTANCE_YAML, 'railyard.yaml'));
    expect(desired.environments[0]?.plan).toBe('standard');
    expect(desired.plans).toEqual([
      {
        key: 'standard',
        name: 'standard',
        description: '',
        steps: [
          {
            ...run,
            key: 'deploy',
            name: 'deploy',
            kind: 'run',
            needs: [],
            onFailure: 'rollback',
            idempotent: false,
            run: ['sh', '-c', 'echo deploying $RAILYARD_PRODUCT $RAILYARD_VERSION to $RAILYARD_ENV'],
          },
          {
            ...run,
            key: 'verify',
            name: 'verify',
            kind: 'verify',
            needs: ['deploy'],
            onFailure: 'rollback',
            idempotent: true,
            verify: {
              http: { method: 'GET', url: 'http://127.0.0.1:9999/health', headers: {}, body: null, expectStatus: [200] },
              run: null,
              forMs: 5000,
              timeoutMs: 120_000,
              intervalMs: 1000,
            },
          },
        ],
        // A rollback step that fails stops the rollback: it has nothing further to roll back to.
        rollback: [
          {
            ...run,
            key: 'undo',
            name: 'undo',
            kind: 'run',
            needs: [],
            onFailure: 'stop',
            idempotent: false,
            run: ['sh', '-c', 'echo rolling back'],
          },
        ],
      },
    ]);
  });

  it('normalizes the short and long forms of every kind to the same shape', () => {
    const text = planWith(
      '- { key: call, http: { method: POST, url: "https://deploy.example.com/${RAILYARD_ENV}", body: { version: 1 } } }',
      '- { key: ping, http: { url: "http://x/health", expectStatus: [204, 200, 204] } }',
      '- { key: sign, manual: "Check the dashboard" }',
      '- { key: sign2, manual: { instructions: Check, role: sre } }',
      '- { key: ok, approval: true }',
      '- { key: ok2, approval: { min: 2, role: lead } }',
      '- { key: soak, wait: 10m }',
      '- { key: window, wait: { window: true } }',
      '- { key: probe, verify: { run: [curl, -f, "http://x"], interval: 500ms } }',
      '- { key: tell, notify: "Deployed ${RAILYARD_VERSION}" }',
      '- { key: tell2, notify: { message: Done, to: [ops] } }',
      '- key: migrate',
      '  run: [./migrate]',
      '  timeout: PT10M',
      '  retries: 3',
      '  backoff: 2s',
      '  onFailure: stop',
      '  idempotent: true',
      '  secrets: [DB_PASSWORD]',
      '  env: { PORT: 8080, DEBUG: true, MODE: fast }',
      '  cwd: ops',
    );
    const [plan] = planSpecs(parseConfig(text, 'railyard.yaml'));
    const step = (key: string) => plan?.steps.find((s) => s.key === key);
    expect(step('call')).toMatchObject({
      kind: 'http',
      idempotent: false,
      http: {
        method: 'POST',
        url: 'https://deploy.example.com/${RAILYARD_ENV}',
        headers: { 'content-type': 'application/json' },
        body: '{"version":1}',
        expectStatus: Array.from({ length: 100 }, (_, i) => 200 + i),
      },
    });
    expect(step('ping')).toMatchObject({ idempotent: true, http: { expectStatus: [200, 204] } });
    expect(step('sign')?.manual).toEqual({ instructions: 'Check the dashboard', role: null });
    expect(step('sign2')?.manual).toEqual({ instructions: 'Check', role: 'sre' });
    expect(step('ok')?.approval).toEqual({ min: 1, role: null });
    expect(step('ok2')?.approval).toEqual({ min: 2, role: 'lead' });
    expect(step('soak')?.wait).toEqual({ ms: 600_000, window: false });
    expect(step('window')?.wait).toEqual({ ms: null, window: true });
    expect(step('probe')?.verify).toEqual({ http: null, run: ['curl', '-f', 'http://x'], forMs: 0, timeoutMs: 300_000, intervalMs: 500 });
    expect(step('tell')?.notify).toEqual({ message: 'Deployed ${RAILYARD_VERSION}', to: [] });
    expect(step('tell2')?.notify).toEqual({ message: 'Done', to: ['ops'] });
    expect(step('migrate')).toEqual({
      key: 'migrate',
      name: 'migrate',
      kind: 'run',
      needs: [],
      timeoutMs: 600_000,
      retries: 3,
      backoffMs: 2000,
      onFailure: 'stop',
      idempotent: true,
      secrets: ['DB_PASSWORD'],
      env: { PORT: '8080', DEBUG: 'true', MODE: 'fast' },
      cwd: 'ops',
      run: ['./migrate'],
    });
  });

  it('stores a product’s plan choices only when it declares some, so existing products stay unchanged', () => {
    const text = [
      'environments: [{ key: prod, tier: prod, plan: p }]',
      'products:',
      '  - { key: api }',
      '  - { key: web, plans: { prod: careful } }',
      'plans:',
      '  - { key: p, steps: [{ key: a, wait: 1s }] }',
      '  - { key: careful, steps: [{ key: a, approval: true }] }',
      '',
    ].join('\n');
    const desired = normalize(parseConfig(text, 'railyard.yaml'));
    expect(desired.products.map((p) => p.plans)).toEqual([undefined, { prod: 'careful' }]);
    expect('plans' in (desired.products[0] ?? {})).toBe(false);
  });

  it('accepts the example in docs/CONFIG.md', () => {
    const doc = readFileSync(new URL('../../../docs/CONFIG.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Plans'));
    const yaml = section.slice(section.indexOf('```yaml') + 7, section.indexOf('```', section.indexOf('```yaml') + 7));
    const desired = normalize(parseConfig(yaml, 'CONFIG.md'));
    expect(desired.plans.map((p) => p.key)).toEqual(['standard', 'careful']);
    expect(desired.products[0]?.plans).toEqual({ prod: 'careful' });
  });

  it('publishes a description for every field of a plan, for editor completion', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as { properties?: Record<string, { description?: string }>; items?: unknown; anyOf?: unknown[] };
      for (const [name, prop] of Object.entries(n.properties ?? {})) {
        if (!prop.description) missing.push(`${path}.${name}`);
        walk(prop, `${path}.${name}`);
      }
      walk(n.items, `${path}[]`);
      for (const branch of n.anyOf ?? []) walk(branch, path);
    };
    const schema = jsonSchemaDocument() as { properties: Record<string, unknown> };
    walk(schema.properties.plans, 'plans');
    expect(missing).toEqual([]);
  });
});

describe('plan problems, at their line and column', () => {
  it('rejects duplicate plan keys, and step keys shared by steps and rollback steps', () => {
    const text = [
      'plans:',
      '  - key: p',
      '    steps:',
      '      - { key: a, wait: 1s }',
      '      - { key: a, wait: 1s }',
      '    rollback:',
      '      - { key: a, wait: 1s }',
      '  - key: p',
      '    steps: [{ key: b, wait: 1s }]',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      "railyard.yaml:5:16 plans[0].steps[1].key: duplicate step key 'a' (also steps[0])",
      "railyard.yaml:7:16 plans[0].rollback[0].key: duplicate step key 'a' (also steps[0])",
      "railyard.yaml:8:10 plans[1].key: duplicate plan key 'p' (also plans[0])",
    ]);
  });

  it('rejects needs that name no step, the step itself, or a step of the other phase', () => {
    const text = [
      'plans:',
      '  - key: p',
      '    steps:',
      '      - { key: a, wait: 1s, needs: [a, ghost, undo] }',
      '    rollback:',
      '      - { key: undo, wait: 1s, needs: [a] }',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      'railyard.yaml:4:37 plans[0].steps[0].needs[0]: a step cannot need itself',
      "railyard.yaml:4:40 plans[0].steps[0].needs[1]: unknown step 'ghost' (declared: a)",
      "railyard.yaml:4:47 plans[0].steps[0].needs[2]: 'undo' is a rollback step: steps can only need steps",
      "railyard.yaml:6:40 plans[0].rollback[0].needs[0]: 'a' is not a rollback step: rollback steps can only need rollback steps",
    ]);
  });

  it('names a cycle at the first step’s needs entry', () => {
    const text = planWith(
      '- { key: start, wait: 1s }',
      '- { key: a, wait: 1s, needs: [start, b] }',
      '- { key: b, wait: 1s, needs: [c] }',
      '- { key: c, wait: 1s, needs: [a] }',
    );
    expect(problems(text)).toEqual(['railyard.yaml:5:44 plans[0].steps[1].needs[1]: needs make a cycle: a → b → c → a']);
  });

  it('wants exactly one kind per step', () => {
    const text = planWith('- key: nothing', '  name: Nothing at all', '- key: both', '  run: [echo]', '  http: { url: "http://x" }');
    expect(problems(text)).toEqual([
      "railyard.yaml:4:9 plans[0].steps[0]: step 'nothing' has no kind: give it one of run, http, manual, approval, wait, verify, notify",
      'railyard.yaml:8:9 plans[0].steps[1].http: a step has one kind, and this one already has run: make http a step of its own',
    ]);
  });

  it('checks every duration, at the field', () => {
    const text = planWith(
      '- key: a',
      '  wait: soon',
      '  timeout: 5 minutes',
      '  backoff: P',
      '- key: b',
      '  verify: { run: [check], for: PT10M, timeout: PT1M, interval: PT0S }',
      '- key: c',
      '  wait: { duration: P400D }',
    );
    expect(problems(text)).toEqual([
      "railyard.yaml:5:15 plans[0].steps[0].wait: 'soon' is not a duration: write e.g. PT30S, PT5M, PT1H (or 30s, 5m, 1h)",
      "railyard.yaml:6:18 plans[0].steps[0].timeout: '5 minutes' is not a duration: write e.g. PT30S, PT5M, PT1H (or 30s, 5m, 1h)",
      "railyard.yaml:7:18 plans[0].steps[0].backoff: 'P' is not a duration: write e.g. PT30S, PT5M, PT1H (or 30s, 5m, 1h)",
      'railyard.yaml:9:54 plans[0].steps[1].verify.timeout: the check must pass for 10m but times out after 1m: it could never pass',
      'railyard.yaml:9:70 plans[0].steps[1].verify.interval: must be longer than 0',
      "railyard.yaml:11:27 plans[0].steps[2].wait.duration: 'P400D' is longer than 366 days",
    ]);
  });

  it('wants a verify to check with http or run, and a wait to wait for something', () => {
    const text = planWith(
      '- { key: a, verify: { for: PT1M } }',
      '- { key: b, verify: { run: [check], http: { url: "http://x" } } }',
      '- { key: c, wait: { window: false } }',
    );
    expect(problems(text)).toEqual([
      'railyard.yaml:4:27 plans[0].steps[0].verify: verify checks with either http: {url, …} or run: [command, …] (one of them)',
      'railyard.yaml:5:27 plans[0].steps[1].verify: verify checks with either http: {url, …} or run: [command, …] (one of them)',
      'railyard.yaml:6:25 plans[0].steps[2].wait: wait for a duration: PT10M, or until the window opens: { window: true }',
    ]);
  });

  it('checks URLs, leaving run variables to be filled in', () => {
    const text = planWith(
      '- { key: a, http: { url: "http://${RAILYARD_ENV}.example.com:${PORT}/health" } }',
      '- { key: b, http: { url: "ftp://example.com" } }',
      '- { key: c, verify: { http: { url: "not a url" } } }',
    );
    expect(problems(text)).toEqual([
      "railyard.yaml:5:32 plans[0].steps[1].http.url: 'ftp://example.com' is not an http or https URL",
      "railyard.yaml:6:42 plans[0].steps[2].verify.http.url: 'not a url' is not a URL: write e.g. https://example.com/health",
    ]);
  });

  it('keeps RAILYARD_ variables for Railyard, and each variable in one place', () => {
    const text = planWith(
      '- key: a',
      '  run: [deploy]',
      '  env: { RAILYARD_VERSION: "1", 2FAST: x, TOKEN: x }',
      '  secrets: [RAILYARD_ENV, TOKEN, RAILYARD_API_TOKEN, "bad-name"]',
    );
    expect(problems(text)).toEqual([
      "railyard.yaml:6:16 plans[0].steps[0].env.RAILYARD_VERSION: 'RAILYARD_VERSION': names starting with RAILYARD_ are reserved for the variables Railyard sets",
      "railyard.yaml:6:39 plans[0].steps[0].env.2FAST: '2FAST' is not a variable name: letters, digits and _, not starting with a digit",
      "railyard.yaml:7:19 plans[0].steps[0].secrets[0]: 'RAILYARD_ENV' is set by Railyard for every run: it cannot be a secret",
      "railyard.yaml:7:33 plans[0].steps[0].secrets[1]: 'TOKEN' is also set under env: give it one value, in one place",
      "railyard.yaml:7:60 plans[0].steps[0].secrets[3]: 'bad-name' is not a variable name: letters, digits and _, not starting with a digit",
    ]);
  });

  it('does not let a rollback step roll back', () => {
    const text = [
      'plans:',
      '  - key: p',
      '    steps: [{ key: a, wait: 1s }]',
      '    rollback: [{ key: undo, run: [undo], onFailure: rollback }]',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      'railyard.yaml:4:53 plans[0].rollback[0].onFailure: a rollback step cannot roll back: use stop (the default) or continue',
    ]);
  });

  it('rejects environments and products that name an unknown plan or environment', () => {
    const text = [
      'environments:',
      '  - { key: prod, tier: prod, plan: standrd }',
      'products:',
      '  - key: api',
      '    plans: { prod: careful, qa: standard }',
      'plans:',
      '  - { key: standard, steps: [{ key: a, wait: 1s }] }',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      "railyard.yaml:2:36 environments[0].plan: unknown plan 'standrd' (declared: standard)",
      "railyard.yaml:5:20 products[0].plans.prod: unknown plan 'careful' (declared: standard)",
      "railyard.yaml:5:29 products[0].plans.qa: unknown environment 'qa' (declared: prod)",
    ]);
  });

  it('explains schema problems in the words of the field', () => {
    const text = planWith(
      '- { key: a, manual: { instructions: x, rol: sre } }',
      '- { key: b, manual: 5 }',
      '- { key: c, approval: false }',
      '- { key: d, http: { url: "http://x", expectStatus: [200, ok] } }',
      '- { key: e, run: [] }',
      '- { key: f, wait: 1s, onFailre: stop }',
    );
    expect(problems(text)).toEqual([
      "railyard.yaml:4:46 plans[0].steps[0].manual.rol: unknown field 'rol' (did you mean 'role'?)",
      'railyard.yaml:5:27 plans[0].steps[1].manual: expected string or object, got number 5',
      'railyard.yaml:6:29 plans[0].steps[2].approval: expected true or object, got boolean false',
      'railyard.yaml:7:64 plans[0].steps[3].http.expectStatus[1]: expected integer, got string "ok"',
      'railyard.yaml:8:24 plans[0].steps[4].run: must list at least one',
      "railyard.yaml:9:29 plans[0].steps[5].onFailre: unknown field 'onFailre' (did you mean 'onFailure'?)",
    ]);
  });

  it('needs at least one step in a plan', () => {
    expect(problems('plans:\n  - { key: p, steps: [] }\n')).toEqual(['railyard.yaml:2:22 plans[0].steps: must list at least one']);
  });
});
