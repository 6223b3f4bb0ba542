// The built app, as a visitor meets it: first visit, generation, offline reload, the forced JS
// backend, the controls, the output's tools, text-only rendering and the content security policy.
import { readFileSync } from 'node:fs';
import { type Request, expect, test } from '@playwright/test';
import { DIST, generate, output, shippedConfig, shippedParams, shot, status, waitReady } from './app-helpers';

test('first visit downloads and stores the weights, generates 400 bytes, then reloads offline and generates with no network request', async ({ page, context }, info) => {
  const cspViolations: string[] = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && cspViolations.push(m.text()));
  const requests: Request[] = [];
  context.on('request', (r) => requests.push(r));

  // Hold the download back a moment, so the progress bar can be seen and photographed.
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/soma.bin', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/');
  await expect(page.getByRole('progressbar')).toBeVisible(); // soma.bin downloads with a progress bar
  await expect(page.getByText('Downloading soma.bin:')).toBeVisible();
  await shot(page, info, '1-first-visit-downloading');
  release();
  await waitReady(page);
  await page.unroute('**/soma.bin');
  await expect(page.getByText('ready to work offline')).toBeVisible({ timeout: 30_000 });
  expect(requests.filter((r) => r.url().endsWith('/soma.bin'))).toHaveLength(1);
  await expect(page.locator('soma-model-header')).toContainText(new RegExp(`params[^]*?${shippedParams()}`));
  await expect(page.locator('soma-model-header')).toContainText(new RegExp(`experts[^]*?\\b${shippedConfig().experts}\\b`));

  expect(await generate(page)).toBe(400);
  expect((await output(page).textContent())!.length).toBeGreaterThan('The '.length);
  await expect(page.locator('soma-stats-bar')).toContainText('wasm-simd');
  await shot(page, info, '2-first-visit-generated');

  await context.setOffline(true);
  requests.length = 0;
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  await page.reload();
  await waitReady(page);
  // The page, its script, worker and kernels come from the service worker; the weights from IndexedDB.
  expect(requests.filter((r) => r.url().endsWith('/soma.bin'))).toHaveLength(0);
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) expect((await r.response())?.fromServiceWorker(), r.url()).toBe(true);
  expect(failed).toEqual([]);

  requests.length = 0;
  expect(await generate(page)).toBe(400);
  expect(requests.map((r) => r.url())).toEqual([]); // generation makes zero requests of any kind
  await shot(page, info, '3-offline-reload-generated');
  expect(cspViolations).toEqual([]);
});

test('the forced JS backend generates', async ({ page }, info) => {
  await page.goto('./?backend=js');
  await waitReady(page);
  await expect(status(page)).toContainText('js engine');
  expect(await generate(page)).toBe(400);
  await expect(page.locator('soma-stats-bar dd').last()).toHaveText('js'); // the backend, the bar's last figure
  await shot(page, info, 'forced-js-backend');
});

test('out-of-range settings are refused with a hint, and valid ones are remembered across reloads', async ({ page }, info) => {
  await page.goto('/');
  await waitReady(page);
  for (const [label, value] of [['Temperature', '0.80'], ['Top-k', '40'], ['Top-p', '0.95'], ['Repeat penalty', '1.05'], ['Length (bytes)', '400']])
    await expect(page.getByLabel(label)).toHaveValue(value);

  await page.getByLabel('Temperature').fill('9');
  await expect(page.getByText('Temperature must be a number from 0 to 5.')).toBeVisible();
  await expect(page.getByLabel('Temperature')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('button', { name: 'Generate' })).toBeDisabled();
  await page.getByLabel('Top-k').fill('12.5');
  await expect(page.getByText('Top-k must be a whole number from 0 to 256.')).toBeVisible();
  await shot(page, info, 'settings-refused');

  await page.getByLabel('Temperature').fill('0.5');
  await page.getByLabel('Top-k').fill('12');
  await page.getByLabel('Length (bytes)').fill('120');
  await page.getByLabel('Length (bytes)').press('ArrowUp');
  await expect(page.getByRole('button', { name: 'Generate' })).toBeEnabled();
  await page.reload();
  await waitReady(page);
  await expect(page.getByLabel('Temperature')).toHaveValue('0.5');
  await expect(page.getByLabel('Top-k')).toHaveValue('12');
  await expect(page.getByLabel('Length (bytes)')).toHaveValue('121');
  expect(await generate(page)).toBe(121);

  await page.getByRole('button', { name: 'Defaults' }).click();
  await expect(page.getByLabel('Temperature')).toHaveValue('0.80');
});

test('colour by expert shows a legend, copy says "copied ✓", Stop ends a run early', async ({ page, context }, info) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await waitReady(page);
  await generate(page);
  await page.getByLabel('colour by expert').check();
  await expect(page.getByRole('list', { name: 'Expert colours' }).getByRole('listitem')).toHaveCount(shippedConfig().experts);
  const spans = output(page).locator('span.e');
  expect(await spans.count()).toBeGreaterThan(1);
  expect(await spans.first().evaluate((el) => getComputedStyle(el).color)).not.toBe(await output(page).evaluate((el) => getComputedStyle(el).color));
  await shot(page, info, 'colour-by-expert');

  await page.getByRole('button', { name: 'copy' }).click();
  await expect(page.getByRole('button', { name: 'copied ✓' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await output(page).textContent());

  await page.getByLabel('Length (bytes)').fill('20000');
  await page.getByRole('button', { name: 'Generate' }).click();
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(status(page)).toContainText('(stopped)');
});

test('generated and pasted text is shown as text, never as HTML', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  const hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
  await page.getByLabel('Prompt').fill(hostile);
  await page.getByLabel('Length (bytes)').fill('50');
  await generate(page);
  expect(await output(page).textContent()).toContain(hostile);
  expect(await output(page).locator('img, b').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});

test('the built page carries a strict content security policy', async () => {
  const html = readFileSync(`${DIST}/index.html`, 'utf8');
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? '';
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain('unsafe-inline');
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
});

test('the development server serves the app too', async ({ page }) => {
  await page.goto('http://127.0.0.1:5173/');
  await waitReady(page);
  expect(await generate(page)).toBe(400);
});
