import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, railyard, startServer } from '../support/cli.js';

// Chromium from Debian (`apt-get install chromium`), never a downloaded build.
const CHROMIUM = '/usr/bin/chromium';

// `standard` has a command that writes to stdout and stderr (and then holds until the test creates `go`, so the
// page is seen following it while it runs), an HTTP call (the engine logs its status line as
// `system` output) and a checklist item for the sre role. `careful` fails until a file exists, then asks a person.
// prod has a gate nobody has passed, so promoting there is refused with the gate's reason.
const config = (serverUrl: string) => `plans:
  - key: standard
    steps:
      - key: deploy
        run: ["sh", "-c", "echo deploying $RAILYARD_PRODUCT $RAILYARD_VERSION to $RAILYARD_ENV; echo 'cache is cold' >&2; until [ -f go ]; do sleep 0.1; done; echo deployed"]
        timeout: PT2M
      - key: ping
        needs: [deploy]
        http: { url: "${serverUrl}/healthz" }
      - key: sign-off
        needs: [ping]
        manual: { instructions: "Open the shop and buy something", role: sre }
    rollback:
      - key: undo
        run: ["sh", "-c", "echo rolling back"]
  - key: careful
    steps:
      - key: check
        run: ["sh", "-c", "test -f ready || { echo 'not ready yet' >&2; exit 1; }; echo ready"]
        onFailure: stop
      - key: look
        needs: [check]
        manual: "Look at the graphs"
environments:
  - key: staging
    tier: staging
    plan: standard
  - key: test
    tier: test
    plan: careful
  - key: prod
    tier: prod
    plan: standard
    approvals: { min: 1 }
gates:
  - environment: prod
    checks:
      - name: approved
        builtin: approvals
products:
  - key: shop
`;

describe('dashboard runs, in Chromium against `railyard serve`', () => {
  let dir: string;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const cli = (...args: string[]) => railyard(['--server', server?.url ?? '', ...args], { cwd: dir });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-dashboard-runs-'));
    server = await startServer(['--db', join(dir, 'railyard.db')], dir);
    writeFileSync(join(dir, 'railyard.yaml'), config(server.url));
    expect(cli('apply', '-f', 'railyard.yaml')).toMatchObject({ code: 0 });
    expect(cli('releases', 'create', 'shop', '1.0.0', '--as', 'alice')).toMatchObject({ code: 0 });
    expect(cli('releases', 'create', 'shop', '1.1.0', '--as', 'alice')).toMatchObject({ code: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (path: string) => {
    await page.goto(`${server?.url}${path}`);
  };
  const step = (label: string) => page.getByRole('article', { name: label });
  const badge = (scope: Locator, text: string) => scope.locator('.mantine-Badge-root').filter({ hasText: new RegExp(`^${text}$`) });
  const runHeader = () => page.locator('main').getByRole('heading', { level: 2 }).locator('..');
  /** Marks the document: if the page reloads, the mark is gone. */
  const mark = () => page.evaluate(() => Reflect.set(globalThis, 'railyardTestMark', true));
  const stillMarked = () => page.evaluate(() => Reflect.get(globalThis, 'railyardTestMark') === true);
  const choose = async (label: string, option: string) => {
    await page.getByRole('dialog').getByRole('combobox', { name: label }).click();
    await page.getByRole('option', { name: option, exact: true }).click();
  };

  it('names the person acting, and shows the gate’s reasons when a promotion is blocked (409)', async () => {
    await open('/runs');
    await page.getByRole('table', { name: 'Runs' }).getByText('No runs match these filters.').waitFor();
    await page.getByRole('textbox', { name: 'Acting as' }).fill('alice');

    await page.getByRole('button', { name: 'Promote' }).click();
    const dialog = page.getByRole('dialog', { name: 'Promote a release' });
    await choose('Release', 'shop@1.0.0');
    await choose('Environment', 'prod');
    await dialog.getByRole('button', { name: 'Promote' }).click();

    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Blocked');
    expect(await alert.textContent()).toContain('shop@1.0.0 cannot be promoted to prod now');
    expect(await alert.getByRole('list', { name: 'Reasons' }).textContent()).toContain('gate check approved: fail — 0 of 1 approval');
    await dialog.getByRole('button', { name: 'Back' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('promotes from the release page and follows the run live, without reloading, until it awaits a person', async () => {
    await open(`/releases/${encodeURIComponent('shop@1.0.0')}`);
    await mark();
    await page.getByRole('button', { name: 'Promote' }).click();
    await choose('Environment', 'staging');
    await page.getByRole('dialog', { name: 'Promote shop@1.0.0' }).getByRole('button', { name: 'Promote' }).click();

    await page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
    expect(await page.getByRole('heading', { level: 2 }).textContent()).toBe('shop@1.0.0 → staging');
    // The command has started and holds: its first lines arrive while it runs.
    await badge(runHeader(), 'Running').waitFor();
    await badge(step('Step deploy'), 'Running').waitFor();
    await page.getByRole('log', { name: 'Output of step deploy' }).getByText('deploying shop 1.0.0 to staging').waitFor();
    expect(await badge(step('Step sign-off'), 'Pending').count()).toBe(1);

    writeFileSync(join(dir, 'go'), '');
    await badge(runHeader(), 'Awaiting').waitFor();
    await badge(runHeader(), 'Live').waitFor();
    expect(await stillMarked()).toBe(true);

    await badge(step('Step deploy'), 'Succeeded').waitFor();
    await badge(step('Step ping'), 'Succeeded').waitFor();
    await badge(step('Step sign-off'), 'Waiting').waitFor();
    expect(await step('Step sign-off').textContent()).toContain('Open the shop and buy something');
    expect(await step('Step deploy').getByRole('button').count()).toBe(0);
    expect(await badge(step('Rollback step undo'), 'Pending').count()).toBe(1);
    // A run awaiting a person may be cancelled; only a failed one may be retried or resumed.
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Resume' }).count()).toBe(0);

    // Output of each stream, told apart.
    const deployLog = page.getByRole('log', { name: 'Output of step deploy' });
    await deployLog.getByText('deployed', { exact: true }).waitFor();
    const streams = await deployLog
      .locator('[data-stream]')
      .evaluateAll((lines) => lines.map((l) => [l.getAttribute('data-stream'), l.textContent]));
    expect(streams).toEqual([
      ['stdout', 'deploying shop 1.0.0 to staging'],
      ['stderr', 'errcache is cold'],
      ['stdout', 'deployed'],
    ]);
    const pingLog = page.getByRole('log', { name: 'Output of step ping' });
    expect(await pingLog.locator('[data-stream="system"]').textContent()).toMatch(/^sysGET .*\/healthz → 200$/);
  });

  it('confirms the manual step with the button (the API’s refusal shown in the dialog) and sees the run succeed', async () => {
    await mark();
    const signOff = step('Step sign-off');
    await signOff.getByRole('button', { name: 'Confirm' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm step sign-off' });
    expect(await dialog.textContent()).toContain('Open the shop and buy something');
    await dialog.getByRole('textbox', { name: 'Note' }).fill('bought a hat');
    // The step names its role, so the dialog offers it; without it the API refuses and the dialog stays open.
    expect(await dialog.getByRole('textbox', { name: 'Role' }).inputValue()).toBe('sre');
    await dialog.getByRole('textbox', { name: 'Role' }).fill('');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toContain("step sign-off is confirmed in role 'sre'");

    await dialog.getByRole('textbox', { name: 'Role' }).fill('sre');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await badge(runHeader(), 'Succeeded').waitFor();
    await badge(signOff, 'Succeeded').waitFor();
    expect(await signOff.getByRole('button').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    expect(await badge(runHeader(), 'Live').count()).toBe(0);
    expect(await stillMarked()).toBe(true);

    const id = page.url().split('/').at(-1) ?? '';
    const run = (await (await fetch(`${server?.url}/api/v1/runs/${id}`)).json()) as {
      steps: { key: string; result: unknown }[];
    };
    expect(run).toMatchObject({ status: 'succeeded', promoter: 'alice', deployment: expect.any(String) });
    expect(run.steps.find((s) => s.key === 'sign-off')?.result).toMatchObject({
      confirmations: [{ by: 'alice', role: 'sre', note: 'bought a hat' }],
    });

    // The finished run, opened afresh, replays its output.
    await page.reload();
    await page.getByRole('log', { name: 'Output of step deploy' }).getByText('deploying shop 1.0.0 to staging').waitFor();
    expect(await badge(runHeader(), 'Succeeded').count()).toBe(1);
  });

  it('lists runs with their status and promoter, filtered by status and environment', async () => {
    await open('/runs');
    const table = page.getByRole('table', { name: 'Runs' });
    await table.getByRole('row').nth(1).waitFor();
    const cells = await table.getByRole('row').nth(1).getByRole('cell').allTextContents();
    expect(cells.slice(0, 5)).toEqual(['shop@1.0.0', 'staging', 'standard', 'Succeeded', 'alice']);

    await page.getByRole('combobox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'Failed' }).click();
    await page.waitForURL(/status=failed/);
    await table.getByText('No runs match these filters.').waitFor();

    await open('/runs?environment=staging&status=succeeded');
    await table.getByRole('row').nth(1).filter({ hasText: 'shop@1.0.0' }).waitFor();
    await table.getByRole('link', { name: 'shop@1.0.0' }).click();
    await page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
    await badge(runHeader(), 'Succeeded').waitFor();
  });

  it('offers Retry and Resume on a failed run; the retry is followed live, a rejection fails it, Resume carries on', async () => {
    await page.getByRole('textbox', { name: 'Acting as' }).fill('bob');
    await open('/runs');
    await page.getByRole('button', { name: 'Promote' }).click();
    await choose('Release', 'shop@1.1.0');
    await choose('Environment', 'test');
    await page.getByRole('dialog', { name: 'Promote a release' }).getByRole('button', { name: 'Promote' }).click();
    await page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
    await mark();

    await badge(runHeader(), 'Failed').waitFor();
    await badge(step('Step check'), 'Failed').waitFor();
    expect(await step('Step check').textContent()).toContain('command exited with status 1');
    await page.getByRole('log', { name: 'Output of step check' }).getByText('not ready yet').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Resume' }).count()).toBe(1);
    expect(await step('Step look').getByRole('button').count()).toBe(0);

    writeFileSync(join(dir, 'ready'), '');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('dialog', { name: 'Retry this run?' }).getByRole('button', { name: 'Retry' }).click();

    // The stream ended with the failed run; the retry brings it back, and the page follows it again.
    await badge(runHeader(), 'Awaiting').waitFor();
    await badge(step('Step check'), 'Succeeded').waitFor();
    await page.getByRole('log', { name: 'Output of step check' }).getByText('ready', { exact: true }).waitFor();

    await step('Step look').getByRole('button', { name: 'Reject' }).click();
    const reject = page.getByRole('dialog', { name: 'Reject step look' });
    expect(await reject.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true); // a reason is required
    await reject.getByRole('textbox', { name: 'Reason' }).fill('graphs look wrong');
    await reject.getByRole('button', { name: 'Reject' }).click();
    await badge(runHeader(), 'Failed').waitFor();
    expect(await step('Step look').textContent()).toContain('rejected by bob: graphs look wrong');

    await page.getByRole('button', { name: 'Resume' }).click();
    const resume = page.getByRole('dialog', { name: 'Resume past what failed?' });
    expect(await resume.textContent()).toContain('(look)');
    await resume.getByRole('textbox', { name: 'Reason' }).fill('checked the graphs by hand');
    await resume.getByRole('button', { name: 'Resume' }).click();
    await badge(runHeader(), 'Succeeded').waitFor();
    await badge(step('Step look'), 'Skipped').waitFor();
    expect(await step('Step look').textContent()).toContain('skipped by bob: checked the graphs by hand');
    expect(await stillMarked()).toBe(true);
  });

  it('shows a run promoted elsewhere (through the API) and cancels it with a reason', async () => {
    const response = await fetch(`${server?.url}/api/v1/promotions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'railyard-actor': 'carol' },
      body: JSON.stringify({ release: 'shop@1.1.0', environment: 'staging' }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    await open(`/runs/${id}`);
    await badge(runHeader(), 'Awaiting').waitFor();
    expect(await page.getByText('carol', { exact: true }).count()).toBe(1);

    await page.getByRole('button', { name: 'Cancel run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this run?' });
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('wrong day');
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await badge(runHeader(), 'Cancelled').waitFor();
    expect(await page.getByRole('main').textContent()).toContain('cancelled by bob: wrong day');
    expect(await step('Step sign-off').getByRole('button').count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Cancel run|Retry|Resume)$/ }).count()).toBe(0);
  });

  it("shows the API's error for a run that does not exist, not a blank page", async () => {
    await open('/runs/01NOSUCHRUN0000000000000000');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("run '01NOSUCHRUN0000000000000000' not found");
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).waitFor();
  });

  it('raised no uncaught error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
