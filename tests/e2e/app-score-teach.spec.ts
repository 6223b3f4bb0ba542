// Score mode and "Teach it" in the built app: the heatmap, one byte's details and the experts'
// view; teaching with live held-out nats/char, pause (also when the tab hides) and resume; then
// switching to the tuned model, exporting it, resetting, and importing it back.
import { readFileSync } from 'node:fs';
import { type Page, expect, test } from '@playwright/test';
import { ROOT, generate, shot, waitReady } from './app-helpers';

const BLOCK_CHARS = 1024; // the heatmap's block size (src/ui/soma-heatmap.ts, which runs only in the page)
const SOTU = readFileSync(`${ROOT}tests/fixtures/sotu-excerpt.txt`, 'utf8');
const teachStatus = (page: Page) => page.locator('soma-teach-panel p.figures');
const nowFigure = async (page: Page) => Number((await teachStatus(page).textContent())!.match(/([\d.]+)\s*now/)![1]);

test('score mode: a surprisal heatmap as text, one byte\'s top 10 and router scores by hover and keyboard, nats/char, the experts\' view', async ({ page }, info) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByRole('button', { name: 'Score', exact: true }).click();
  const text = `<b>not bold</b> ${SOTU.slice(0, 3000)} é ✓`;
  await page.getByLabel('Text to score', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Score', exact: true }).last().click();
  const total = page.locator('soma-score-panel p.total');
  await expect(total).toContainText(/\d\.\d{4} nats\/char over [\d,]+ characters/, { timeout: 30_000 });
  const map = page.getByRole('region', { name: 'Surprisal heatmap' });
  expect(await map.textContent()).toBe(text); // every character, as text
  expect(await map.locator('b').count()).toBe(0);
  await shot(page, info, 'score-heatmap');

  await map.locator('span').nth(5).hover();
  const details = page.locator('soma-byte-details');
  await expect(details).toContainText('Byte 5:');
  await expect(details.getByRole('region', { name: 'Likeliest bytes here' }).getByRole('listitem')).toHaveCount(10);
  await expect(details.getByRole('region', { name: 'Router scores' }).getByRole('listitem')).toHaveCount(16);
  await shot(page, info, 'score-hover-details');

  await page.mouse.move(0, 0); // the keyboard alone from here: a pointer left over the text would pick too
  await map.focus();
  await page.keyboard.press('Home');
  await expect(details).toContainText('Byte 0:');
  await page.keyboard.press('ArrowRight');
  await expect(details).toContainText('Byte 1:');
  await page.keyboard.press('End');
  await expect(details).toContainText(`Byte ${(Buffer.byteLength(text) - 3).toLocaleString('en')}: 0xe2`); // the last character, ✓, starts 3 bytes from the end

  const experts = page.getByRole('table', { name: 'Experts over the scored text' });
  await expect(experts.locator('tbody tr')).toHaveCount(16);
  await shot(page, info, 'score-experts');
});

test('the generated text can be scored, and a large text scores without freezing the page', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await generate(page);
  await page.getByRole('button', { name: 'Score this text' }).click();
  await expect(page.locator('soma-score-panel p.total')).toContainText('nats/char', { timeout: 30_000 });

  await page.getByLabel('Text to score', { exact: true }).fill(SOTU.repeat(Math.ceil(50_000 / SOTU.length)).slice(0, 50_000));
  await page.getByRole('button', { name: 'Score', exact: true }).last().click();
  // While the engine scores, the page keeps answering: frames keep coming.
  const frames = await page.evaluate(() => new Promise<number>((resolve) => {
    let n = 0;
    const t0 = performance.now();
    const tick = () => (performance.now() - t0 < 1000 ? (n++, requestAnimationFrame(tick)) : resolve(n));
    requestAnimationFrame(tick);
  }));
  // A frozen page gives one frame or none in that second; a busy but answering one several. On two
  // cores shared by the worker's scoring, the page and the test runner, about 7 to 60 came.
  expect(frames).toBeGreaterThanOrEqual(3);
  await expect(page.locator('soma-score-panel p.total')).toContainText(/over 50,000 characters/, { timeout: 60_000 });
  // Every character is there, in blocks of bounded size (so adding to the heatmap lays out one block,
  // not all 50,000 characters above it), each ended at a space or a line break but the longest.
  const map = page.getByRole('region', { name: 'Surprisal heatmap' });
  expect((await map.textContent())!.length).toBe(50_000);
  const blocks = await map.locator('div.block').evaluateAll((els) => els.map((e) => [e.textContent!.length, getComputedStyle(e).contentVisibility, /\s$/.test(e.textContent!)] as const));
  expect(blocks.length).toBeGreaterThan(20);
  for (const [chars, visibility] of blocks) expect([chars <= 2 * BLOCK_CHARS, visibility]).toEqual([true, 'auto']);
  expect(blocks.slice(0, -1).filter(([, , atSpace]) => !atSpace).length).toBe(0);
});

test('teach it: live held-out nats/char, pause and resume (also on a hidden tab), switch, export, reset, import', async ({ page }, info) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByRole('button', { name: 'Teach it' }).click();
  await page.getByLabel('Text to teach', { exact: true }).fill(SOTU.slice(0, 4000));
  await page.getByRole('button', { name: 'Teach', exact: true }).click();
  await expect(teachStatus(page)).toContainText('Teaching', { timeout: 30_000 });
  const before = Number((await teachStatus(page).textContent())!.match(/([\d.]+)\s*before/)![1]);
  await expect.poll(() => nowFigure(page), { timeout: 30_000 }).not.toBe(before); // the held-out figure moves
  await shot(page, info, 'teach-running');

  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(teachStatus(page)).toContainText('Paused', { timeout: 15_000 });
  await expect(page.getByText('saved on this device')).toBeVisible();
  // What teaching changed: the original's and the tuned copy's writing, same prompt and seed.
  const changed = page.getByRole('region', { name: 'What teaching changed' });
  await expect(changed).toBeVisible({ timeout: 15_000 });
  const [original, tuned] = await changed.locator('pre').allTextContents();
  const prompt = SOTU.slice(0, 40).slice(0, SOTU.slice(0, 40).lastIndexOf(' '));
  expect(original.startsWith(prompt) && tuned.startsWith(prompt)).toBe(true);
  expect(new TextEncoder().encode(original).length).toBeGreaterThan(prompt.length + 100);
  expect(tuned).not.toBe(original);
  const pausedStep = Number((await teachStatus(page).textContent())!.match(/step ([\d,]+)/)![1].replace(/,/g, ''));
  await shot(page, info, 'teach-paused');

  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(teachStatus(page)).toContainText('Teaching');
  // A hidden tab pauses, and a visible one resumes.
  const setVisibility = (state: 'hidden' | 'visible') =>
    page.evaluate((s) => {
      Object.defineProperty(document, 'visibilityState', { value: s, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }, state);
  await setVisibility('hidden');
  await expect(teachStatus(page)).toContainText('Paused', { timeout: 15_000 });
  await setVisibility('visible');
  await expect(teachStatus(page)).toContainText('Teaching', { timeout: 15_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(teachStatus(page)).toContainText('Paused', { timeout: 15_000 });
  const step = Number((await teachStatus(page).textContent())!.match(/step ([\d,]+)/)![1].replace(/,/g, ''));
  expect(step).toBeGreaterThan(pausedStep);

  await page.getByLabel('tuned', { exact: true }).check();
  await expect(page.getByLabel('tuned', { exact: true })).toBeChecked();
  await page.getByRole('button', { name: 'Write' }).click();
  expect(await generate(page)).toBe(400); // the tuned model generates
  await page.getByRole('button', { name: 'Teach it' }).click();
  await shot(page, info, 'teach-tuned-in-use');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export tuned soma.bin' }).click();
  const file = await (await download).path();
  const bytes = readFileSync(file);
  const header = JSON.parse(bytes.subarray(12, 12 + bytes.readUInt32LE(8)).toString('utf8'));
  expect(header.provenance.method).toMatch(/^fine-tuned in the browser tab with SPSA .* on 4000 bytes of user text/);
  expect(header.provenance.steps).toBe(step);

  await page.getByRole('button', { name: 'Reset (discard tuned)' }).click();
  await expect(page.getByLabel('original', { exact: true })).toBeChecked();
  await expect(page.getByLabel('tuned', { exact: true })).toBeDisabled();
  await shot(page, info, 'teach-reset');

  await page.getByLabel('Import a tuned soma.bin').setInputFiles(file);
  await expect(page.getByLabel('tuned', { exact: true })).toBeChecked();
  await expect(page.getByText(/^Tuned: fine-tuned in the browser tab/)).toBeVisible();
  // The tuned copy is kept beside the original: a reload brings it back, still in use (the user's last choice).
  await page.reload();
  await waitReady(page);
  await page.getByRole('button', { name: 'Teach it' }).click();
  // The worker checks the stored copy's hash and loads it after the original (4 MB each): slow on a
  // loaded machine, where 15 s was not always enough.
  await expect(page.getByLabel('tuned', { exact: true })).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByLabel('tuned', { exact: true })).toBeChecked();
  await shot(page, info, 'teach-after-reload');
});
