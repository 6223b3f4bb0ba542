// Long outputs and long prompts keep the page responsive (issue 10, item 1): the main thread never
// stalls for seconds, the output holds a bounded number of elements, Stop and Escape take effect at
// once, a long prompt is read with progress, and the status's timing is what the user saw. The
// bounds are generous (the app benchmark prints the real figures, src/cli/bench-app.ts).
import { type Page, expect, test } from '@playwright/test';
import { FIGURES_EVERY_MS, FRAME_BYTES } from '../../src/ui/engine-controller';
import { output, status, waitReady } from './app-helpers';

/** Starts watching the main thread: the largest gap between animation frames, and long tasks. */
const watch = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { __watch: { maxGap: number; longest: number; stop: boolean } };
    w.__watch = { maxGap: 0, longest: 0, stop: false };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__watch.longest = Math.max(w.__watch.longest, e.duration);
    }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t: number) => {
      w.__watch.maxGap = Math.max(w.__watch.maxGap, t - last);
      last = t;
      if (!w.__watch.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
/**
 * Slows the page's main thread, as on a phone or a machine with its cores busy (where the issue
 * saw Stop wait 17 s); the engine's worker runs at full speed.
 */
async function slowMainThread(page: Page, rate = 4): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
}

const watched = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { __watch: { maxGap: number; longest: number; stop: boolean } };
    w.__watch.stop = true;
    return w.__watch;
  });

/** Clicks a button of the page in the page itself, then times until the status matches `until`. */
const clickAndTime = (page: Page, button: string, until: string) =>
  page.evaluate(
    ({ button, until }) =>
      new Promise<number>((resolve) => {
        const find = (root: ParentNode, sel: string): Element | null => {
          const hit = root.querySelector(sel);
          if (hit) return hit;
          for (const el of root.querySelectorAll('*')) if (el.shadowRoot) {
            const inner = find(el.shadowRoot, sel);
            if (inner) return inner;
          }
          return null;
        };
        const statusLine = find(document, 'p.status')!;
        const t0 = performance.now();
        (find(document, button) as HTMLElement).click();
        // Gives up after 20 s (a run that was not stopped ends by then): Infinity, a clear failure.
        const check = () =>
          statusLine.textContent!.includes(until) ? resolve(performance.now() - t0) : performance.now() - t0 > 20_000 ? resolve(Infinity) : requestAnimationFrame(check);
        check();
      }),
    { button, until },
  );

test('a 20,000-byte generation never stalls the page, keeps the output small, and its status times what the user saw', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByLabel('colour by expert').check();
  await page.getByLabel('Length (bytes)').fill('20000');
  await watch(page);
  const shownMs = await clickAndTime(page, '#generate', 'Generated');
  const { maxGap } = await watched(page);
  await expect(status(page)).toContainText('Generated 20,000 bytes in');
  expect(maxGap, 'the longest time between two frames, ms').toBeLessThan(1000);
  const said = Number((await status(page).textContent())!.match(/in ([\d.]+) s/)![1]) * 1000;
  // The status's figure is the time from the click to the last byte on screen.
  expect(Math.abs(said - shownMs), `status says ${said} ms, the page saw ${shownMs} ms`).toBeLessThan(250 + shownMs * 0.1);
  expect((await output(page).textContent())!.length).toBeGreaterThan(15_000);
  // Colour by expert paints only the text in view: a bounded number of elements, not one per run.
  const elements = await output(page).evaluate((el) => el.querySelectorAll('*').length);
  expect(elements).toBeLessThan(5000);
  expect(await output(page).locator('span.e').count()).toBeGreaterThan(10);
  await page.getByLabel('colour by expert').uncheck();
  expect(await output(page).evaluate((el) => el.querySelectorAll('*').length)).toBeLessThan(100);
});

test('with colour by expert and frames coming slowly, each frame shows at most FRAME_BYTES of a long output', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByLabel('colour by expert').check();
  await page.getByLabel('Prompt').fill('A');
  await page.getByLabel('Length (bytes)').fill('20000');
  await slowMainThread(page);
  // The output's length at each animation frame: what one frame added is the page's work for it.
  await page.evaluate(() => {
    const find = (root: ParentNode): Element | null => {
      const hit = root.querySelector('soma-output');
      if (hit) return hit.shadowRoot!.querySelector('#text');
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) {
        const inner = find(el.shadowRoot);
        if (inner) return inner;
      }
      return null;
    };
    const box = find(document)!;
    const w = window as unknown as { __frames: { most: number; stop: boolean } };
    w.__frames = { most: 0, stop: false };
    let last = box.textContent!.length;
    const tick = () => {
      const now = box.textContent!.length;
      w.__frames.most = Math.max(w.__frames.most, now - last);
      last = now;
      if (!w.__frames.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(status(page)).toContainText('Generated 20,000 bytes', { timeout: 60_000 });
  const most = await page.evaluate(() => (window as unknown as { __frames: { most: number; stop: boolean } }).__frames.most);
  console.log(`the most characters one frame added: ${most}`);
  // A page that shows all that came since the last frame adds thousands in a slow one. (+1: the prompt.)
  expect(most, 'characters one animation frame added to the output').toBeLessThanOrEqual(FRAME_BYTES + 1);
  expect(await output(page).evaluate((el) => el.querySelectorAll('*').length)).toBeLessThan(5000);
});

test('with colour by expert, each coloured segment in view is a layer of its own, so a frame repaints only the one that grows', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByLabel('colour by expert').check();
  await page.getByLabel('Length (bytes)').fill('20000');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(status(page)).toContainText('Generated 20,000 bytes', { timeout: 60_000 });
  const layers = () =>
    output(page).evaluate((box) => {
      const blocks = [...box.querySelectorAll('span.block')];
      const layered = blocks.filter((b) => getComputedStyle(b).willChange.includes('transform'));
      const inView = (b: Element) => {
        const r = b.getBoundingClientRect();
        const v = box.getBoundingClientRect();
        return r.bottom > v.top && r.top < v.bottom;
      };
      return { blocks: blocks.length, layered: layered.length, inViewLayered: blocks.filter(inView).every((b) => layered.includes(b)) };
    });
  const coloured = await layers();
  expect(coloured.blocks).toBeGreaterThan(5);
  expect(coloured.inViewLayered).toBe(true);
  // Only the segments in view (and a margin) are layers: their number does not grow with the output.
  expect(coloured.layered).toBeGreaterThan(0);
  expect(coloured.layered).toBeLessThan(coloured.blocks);
  await page.getByLabel('colour by expert').uncheck();
  expect((await layers()).layered).toBe(0);
});

test('while a long output streams, the live figures change at most every FIGURES_EVERY_MS', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByLabel('colour by expert').check();
  await page.getByLabel('Length (bytes)').fill('20000');
  // An observer on the output's text and one on the figures: callbacks within a millisecond are one frame's changes.
  await page.evaluate(() => {
    const app = document.querySelector('soma-app')!.shadowRoot!;
    const panel = app.querySelector('soma-write-panel')!.shadowRoot!;
    const w = window as unknown as { __batches: { at: number; text: boolean; figures: boolean }[] };
    const text = panel.querySelector('soma-output')!.shadowRoot!.querySelector('#text')!;
    const figures = panel.querySelector('soma-stats-bar')!.shadowRoot!;
    w.__batches = [];
    const watch = (root: Node, key: 'text' | 'figures') =>
      new MutationObserver(() => w.__batches.push({ at: performance.now(), text: key === 'text', figures: key === 'figures' })).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
    watch(text, 'text');
    watch(figures, 'figures');
  });
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(status(page)).toContainText('Generated 20,000 bytes', { timeout: 60_000 });
  const batches = await page.evaluate(() => (window as unknown as { __batches: { at: number; text: boolean; figures: boolean }[] }).__batches);
  const frames: { at: number; text: boolean; figures: boolean }[] = [];
  for (const b of batches.filter((b) => b.text || b.figures)) {
    const last = frames.at(-1);
    if (last && b.at - last.at < 1) [last.text, last.figures] = [last.text || b.text, last.figures || b.figures];
    else frames.push({ ...b });
  }
  const figureFrames = frames.filter((f) => f.figures);
  expect(frames.filter((f) => f.text).length).toBeGreaterThan(20);
  expect(figureFrames.length).toBeGreaterThan(1);
  // Whether a change of the figures ever shares a frame with text is not asserted here: grouping
  // observer callbacks by time cannot tell two frames that run back to back on a busy machine apart
  // (a clean-clone run counted 7 such pairs). The controller's unit test checks it frame by frame.
  // Between two refreshes while it streamed, at least the period (the click's empty figures and the run's final ones aside).
  const gaps = figureFrames.slice(1).map((f, i) => f.at - figureFrames[i].at).slice(1, -1);
  expect(gaps.length).toBeGreaterThan(0);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(FIGURES_EVERY_MS - 20);
});

test('the output follows the end without forcing layout, and a reader who scrolls up stays where they are', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByLabel('colour by expert').check();
  await page.getByLabel('Length (bytes)').fill('20000');
  await slowMainThread(page);
  // Long animation frames say how long their scripts spent on style and layout they forced.
  await page.evaluate(() => {
    const w = window as unknown as { __forcedFrames: number };
    w.__forcedFrames = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { scripts: { invoker: string; forcedStyleAndLayoutDuration: number }[] }[])
        if (e.scripts.some((s) => s.invoker === 'FrameRequestCallback' && s.forcedStyleAndLayoutDuration > 0)) w.__forcedFrames++;
    }).observe({ type: 'long-animation-frame' });
  });
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(status(page)).toContainText('Generated 20,000 bytes', { timeout: 60_000 });
  const box = output(page);
  const fromEnd = () => box.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  expect(await fromEnd()).toBeLessThan(24);
  // The page used to read the scroll height after writing every frame's text: a forced layout a frame.
  expect(await page.evaluate(() => (window as unknown as { __forcedFrames: number }).__forcedFrames)).toBeLessThanOrEqual(2);

  await page.getByRole('button', { name: 'Generate' }).click();
  await expect.poll(() => box.evaluate((el) => el.scrollHeight > el.clientHeight * 2), { timeout: 30_000 }).toBe(true);
  await box.evaluate((el) => (el.scrollTop = 0));
  await expect(status(page)).toContainText('Generated 20,000 bytes', { timeout: 60_000 });
  expect(await box.evaluate((el) => el.scrollTop)).toBe(0);
});

for (const how of ['Stop', 'Escape'] as const)
  test(`${how} ends a long generation at once`, async ({ page }) => {
    await page.goto('./?backend=js'); // the slower engine: a 20,000-byte run lasts long enough to stop late in it
    await waitReady(page);
    await page.getByLabel('colour by expert').check();
    await page.getByLabel('Length (bytes)').fill('20000');
    await slowMainThread(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    // Late in the run, where a page that keeps a node per byte has the most to lay out.
    await expect.poll(async () => (await output(page).textContent())!.length, { timeout: 30_000, intervals: [50] }).toBeGreaterThan(8000);
    let ms: number;
    if (how === 'Stop') ms = await clickAndTime(page, '#stop', '(stopped)');
    else {
      await page.locator('body').click({ position: { x: 2, y: 2 } }); // the focus anywhere on the page
      const t0 = Date.now();
      await page.keyboard.press('Escape');
      await expect(status(page)).toContainText('(stopped)', { timeout: 5000 });
      ms = Date.now() - t0;
    }
    console.log(`${how}: ${ms.toFixed(0)} ms to "stopped" on screen`);
    expect(ms, 'from the key or click to "stopped" on screen, ms').toBeLessThan(how === 'Stop' ? 500 : 1000); // Escape's time includes the test's round trips
    const length = (await output(page).textContent())!.length;
    expect(length).toBeLessThan(20_000 + 10);
    await page.waitForTimeout(300);
    expect((await output(page).textContent())!.length).toBe(length); // nothing more arrives
  });

test('a 100 KB prompt is read with progress, and Stop works while it is read', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await waitReady(page);
  const prompt = 'The state of the union is strong. '.repeat(3000).slice(0, 100_000);
  await page.getByLabel('Prompt').fill(prompt);
  await page.getByLabel('Length (bytes)').fill('50');
  await watch(page);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(status(page)).toContainText(/Reading the prompt: \d+ of 100 KB/, { timeout: 10_000 });
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(status(page)).toContainText('(stopped)', { timeout: 2000 });
  expect((await watched(page)).maxGap).toBeLessThan(1000);

  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(status(page)).toContainText(/Reading the prompt: \d+ of 100 KB/, { timeout: 10_000 });
  await expect(status(page)).toContainText('Generated 50 bytes', { timeout: 90_000 });
  expect((await output(page).textContent())!.startsWith(prompt)).toBe(true);
});

test('one byte is "1 byte"', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByLabel('Length (bytes)').fill('1');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(status(page)).toContainText(/^Generated 1 byte in [\d.]+ s\.$/);
});
