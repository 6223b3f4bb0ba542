// The built dist/ as an installable offline app on plain static servers: from a sub-path, from
// python3's http.server, and the service worker's update prompt.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { serveStatic } from '../../src/cli/static-server';
import { DIST, generate, shot, waitReady } from './app-helpers';

test('the manifest names the app, its theme colour, and icons at 192, 512 and maskable', () => {
  const m = JSON.parse(readFileSync(`${DIST}/manifest.webmanifest`, 'utf8'));
  expect(m.name).toMatch(/SOMA/);
  expect(m.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
  const icons = m.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`);
  expect(icons).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
  for (const i of m.icons) expect(readFileSync(`${DIST}/${i.src}`).subarray(1, 4).toString()).toBe('PNG');
  const sw = readFileSync(`${DIST}/sw.js`, 'utf8');
  expect(sw).toMatch(/assets\/kernels-[\w-]+\.wasm/); // the WASM kernels are precached with the shell
  expect(sw).toMatch(/"index\.html"/);
});

test('the service worker is registered only once the model is in, so its install does not slow the start-up', async ({ page, context }) => {
  await context.addInitScript(() => {
    const register = ServiceWorkerContainer.prototype.register;
    ServiceWorkerContainer.prototype.register = function (this: ServiceWorkerContainer, ...args: Parameters<typeof register>) {
      (window as unknown as { readyWhenRegistered: boolean }).readyWhenRegistered = performance.getEntriesByName('soma:ready').length > 0;
      return register.apply(this, args);
    };
  });
  await page.goto('/');
  await waitReady(page);
  await expect(page.getByText('ready to work offline')).toBeVisible({ timeout: 30_000 });
  expect(await page.evaluate(() => (window as unknown as { readyWhenRegistered?: boolean }).readyWhenRegistered)).toBe(true);
});

test('a new service worker waits, and "new version — reload" reloads onto it', async ({ page }, info) => {
  let version = 1;
  const server = await serveStatic(DIST, {
    rewrite: (path, body) => (path === 'sw.js' && version === 2 ? Buffer.concat([body, Buffer.from('\n// version 2\n')]) : body),
  });
  try {
    await page.goto(server.url);
    await waitReady(page);
    await expect(page.getByText('ready to work offline')).toBeVisible({ timeout: 30_000 });
    version = 2; // the server now has a new sw.js; the next navigation finds it
    await page.reload();
    await expect(page.getByText('new version —')).toBeVisible({ timeout: 30_000 });
    await shot(page, info, 'update-waiting');
    await page.evaluate(() => ((window as unknown as { before: boolean }).before = true));
    // Wait for the new document's load event: polling the old one races the navigation.
    const loaded = page.waitForEvent('load', { timeout: 30_000 });
    await page.getByRole('button', { name: 'reload' }).click();
    await loaded;
    expect(await page.evaluate(() => (window as unknown as { before?: boolean }).before ?? false)).toBe(false);
    await waitReady(page);
    await expect(page.getByText('new version —')).toHaveCount(0);
    await expect(page.getByText('ready to work offline')).toBeVisible();
    const sw = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return { waiting: !!reg?.waiting, active: reg?.active?.state, controlled: !!navigator.serviceWorker.controller };
    });
    expect(sw).toEqual({ waiting: false, active: 'activated', controlled: true });
    await shot(page, info, 'updated');
  } finally {
    await server.close();
  }
});

test('the built app works from a sub-path of a plain static server', async ({ page }, info) => {
  const server = await serveStatic(DIST, { prefix: '/some/sub/path' });
  try {
    await page.goto(server.url);
    await waitReady(page);
    expect(await generate(page)).toBe(400);
    await expect(page.getByText('ready to work offline')).toBeVisible({ timeout: 30_000 });
    expect(server.hits).toContain('/some/sub/path/soma.bin');
    expect(server.hits.filter((h) => !h.startsWith('/some/sub/path/'))).toEqual([]);
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.scope)).toBe(server.url);
    await shot(page, info, 'sub-path');
  } finally {
    await server.close();
  }
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

test('the built app works from python3 -m http.server run inside dist/', async ({ page }) => {
  test.skip(!hasPython, 'python3 is not installed');
  let server: ChildProcess | undefined;
  try {
    server = spawn('python3', ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '0'], { cwd: DIST, stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await new Promise<string>((resolve, reject) => {
      server!.stdout!.on('data', (d: Buffer) => {
        const m = d.toString().match(/port (\d+)/);
        if (m) resolve(m[1]);
      });
      server!.on('exit', () => reject(new Error('python3 http.server exited')));
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await waitReady(page);
    expect(await generate(page)).toBe(400);
  } finally {
    server?.kill();
  }
});

test('the built app serves a real robots.txt, not the page', async ({ request }) => {
  const r = await request.get('robots.txt');
  expect(r.status()).toBe(200);
  expect(r.headers()['content-type']).toContain('text/plain');
  expect(await r.text()).toMatch(/^User-agent: \*$/m);
});
