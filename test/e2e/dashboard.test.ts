import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../support/cli.js';

// Chromium from Debian (`apt-get install chromium`), never a downloaded build.
const CHROMIUM = '/usr/bin/chromium';
const VERSION = /\d+\.\d+\.\d+/;

describe('dashboard, in Chromium against `railyard serve --demo`', () => {
  let dir: string;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-dashboard-'));
    server = await startServer(['--demo', '--db', join(dir, 'r.db')], dir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(15_000);
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

  it('shows the portfolio: every demo product against dev, test, staging and prod', async () => {
    await open('/');
    const board = page.getByRole('table', { name: 'Portfolio' });
    await board.getByRole('row').nth(1).waitFor();

    expect(await board.getByRole('columnheader').allTextContents()).toEqual([
      'Product',
      expect.stringMatching(/^dev/),
      expect.stringMatching(/^test/),
      expect.stringMatching(/^staging/),
      expect.stringMatching(/^prod/),
      'Next release',
    ]);
    const products = await board.getByRole('rowheader').allTextContents();
    expect(products).toHaveLength(7);
    for (const key of ['identity', 'checkout', 'payments', 'storefront']) {
      expect(products.some((p) => p.includes(key))).toBe(true);
    }

    for (const name of ['Identity service', 'Checkout']) {
      const cells = await board.getByRole('row').filter({ hasText: name }).getByRole('cell').allTextContents();
      expect(cells).toHaveLength(5);
      for (const envCell of cells.slice(0, 4)) expect(envCell).toMatch(VERSION);
      expect(cells[4]).toMatch(/\d+\.\d+\.\d+(Planned|In progress|Ready)/i);
    }
    // The demo has one promotion that failed: its cell says so next to the version still running.
    await expect(board.getByText(/^\d+\.\d+\.\d+ failed$/).count()).resolves.toBeGreaterThan(0);
    await expect(page.getByRole('region', { name: 'Summary' }).textContent()).resolves.toContain('Products7');
  });

  it('lists releases, filters them by status, pages with "Load more" and opens one with its changes', async () => {
    await open('/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Releases' }).click();
    const table = page.getByRole('table', { name: 'Releases' });
    await table.getByRole('row').nth(1).waitFor();
    const rows = table.getByRole('row');
    expect(await rows.count()).toBe(51); // header + the first page of 50

    await page.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(51).waitFor();

    await page.getByRole('combobox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'Released' }).click();
    await page.waitForURL(/status=released/);
    await rows.nth(1).filter({ hasText: 'Released' }).waitFor();
    const statuses = await table.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(new Set(statuses)).toEqual(new Set(['Released']));

    const first = table.getByRole('row').nth(1).getByRole('link');
    const ref = (await first.textContent()) ?? '';
    expect(ref).toMatch(/^[a-z-]+@\d+\.\d+\.\d+$/);
    await first.click();

    await page.waitForURL(`**/releases/${encodeURIComponent(ref)}`);
    await expect(page.getByRole('heading', { level: 2 }).textContent()).resolves.toBe(ref);
    const changes = page.getByRole('table', { name: 'Changes' }).getByRole('row');
    await changes.nth(1).waitFor();
    expect(await changes.count()).toBeGreaterThan(1);
    const deployments = await page.getByRole('table', { name: 'Deployments' }).locator('tbody tr').allTextContents();
    expect(deployments.some((d) => d.startsWith('prod') && d.includes('Succeeded'))).toBe(true);
  });

  it("shows the API's error message for a release that does not exist", async () => {
    await open(`/releases/${encodeURIComponent('nope@1.0.0')}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("release 'nope@1.0.0' not found");
  });

  it('lists audit events and verifies the hash chain as intact', async () => {
    await open('/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('table', { name: 'Audit events' }).getByRole('row').nth(1).waitFor();
    expect(await page.getByRole('table', { name: 'Audit events' }).getByText('release.created').count()).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Verify chain' }).click();
    const result = page.getByRole('status').filter({ hasText: 'Chain intact' });
    await result.waitFor();
    expect(await result.textContent()).toMatch(/All \d+ events verified/);
  });

  it('raised no uncaught error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
