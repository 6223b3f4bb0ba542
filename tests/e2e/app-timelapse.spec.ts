// The training time-lapse in the built app: scrub through the shipped frames, each writing from the
// same prompt and seed; the same frame and seed give the same text; frames once seen work offline.
import { readFileSync } from 'node:fs';
import { type Page, expect, test } from '@playwright/test';
import { parseTimelapseIndex } from '../../src/model/timelapse';
import { ROOT, generate, shot, waitReady } from './app-helpers';

const INDEX = parseTimelapseIndex(JSON.parse(readFileSync(`${ROOT}public/timelapse/index.json`, 'utf8')));
const panel = (page: Page) => page.locator('soma-timelapse-panel');
const sample = (page: Page) => panel(page).getByRole('region', { name: 'Sample at this point of training' });
const slider = (page: Page) => panel(page).getByRole('slider', { name: 'Training progress' });

/** Waits for the frame on show to finish its sample; returns its text. */
async function finished(page: Page): Promise<string> {
  await expect(sample(page)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  return (await sample(page).textContent())!;
}

test('the time-lapse scrubs through the shipped frames, the same seed giving the same text at each, and works offline once seen', async ({ page, context }, info) => {
  const n = INDEX.frames.length;
  expect(n).toBeGreaterThanOrEqual(5);
  await page.goto('/');
  await waitReady(page);
  // Frames are kept for offline use once the service worker controls the page (it claims the page
  // of the first visit as soon as it is active).
  await expect(page.getByText('ready to work offline')).toBeVisible({ timeout: 30_000 });
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  expect(page.workers()).toHaveLength(1); // the time-lapse's engine starts when it is first opened, not with the page
  await page.getByRole('button', { name: 'Time-lapse' }).click();
  await expect(slider(page)).toHaveAttribute('max', String(n - 1));
  await expect(panel(page).getByRole('status')).toContainText(`Frame 1 of ${n}, at the start, before any SPSA step`);
  const first = await finished(page);
  expect(page.workers()).toHaveLength(2);
  expect(first.startsWith('The ')).toBe(true);
  expect(first.length).toBeGreaterThan(100);
  await shot(page, info, 'timelapse-start');

  // The keyboard scrubs: every frame writes its own text.
  const texts = [first];
  await slider(page).focus();
  for (let i = 1; i < n; i++) {
    await page.keyboard.press('ArrowRight');
    await expect(panel(page).getByRole('status')).toContainText(`Frame ${i + 1} of ${n}, after`);
    await expect(slider(page)).toHaveAttribute('aria-valuetext', new RegExp(`^Frame ${i + 1} of ${n}`));
    texts.push(await finished(page));
  }
  expect(new Set(texts).size).toBe(n);
  await expect(panel(page).getByRole('status')).toContainText(INDEX.frames[n - 1].valNatsPerChar.sotu.toFixed(2));
  await shot(page, info, 'timelapse-end');

  // Another seed writes other text; the first seed, again, the same text as before.
  const seed = panel(page).getByLabel('Seed');
  await seed.fill('7');
  await seed.press('Enter');
  const other = await finished(page);
  expect(other).not.toBe(texts[n - 1]);
  await seed.fill('1');
  await seed.press('Enter');
  expect(await finished(page)).toBe(texts[n - 1]);

  // Offline, a reload still opens the time-lapse, and a frame seen before loads and writes the same text.
  await context.setOffline(true);
  await page.reload();
  await waitReady(page);
  await page.getByRole('button', { name: 'Time-lapse' }).click();
  await expect(panel(page).getByRole('status')).toContainText(`Frame 1 of ${n}`);
  expect(await finished(page)).toBe(texts[0]);
  await context.setOffline(false);
});

test('Play runs through every frame from the start; the page\'s own model is untouched', async ({ page }, info) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByRole('button', { name: 'Time-lapse' }).click();
  await finished(page);
  await slider(page).fill(String(INDEX.frames.length - 1)); // from the end, Play goes back to the start
  await panel(page).getByRole('button', { name: 'Play from the start' }).click();
  await expect(panel(page).getByRole('button', { name: 'Stop' })).toBeVisible();
  await expect(panel(page).getByRole('status')).toContainText('Frame 1 of');
  await expect(panel(page).getByRole('button', { name: 'Play from the start' })).toBeVisible({ timeout: 60_000 });
  await expect(panel(page).getByRole('status')).toContainText(`Frame ${INDEX.frames.length} of`);
  await shot(page, info, 'timelapse-played');
  await page.getByRole('button', { name: 'Write' }).click();
  expect(await generate(page)).toBeGreaterThan(0);
});
