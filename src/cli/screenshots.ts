// The app's screenshots for docs/app.md: every mode, on a desktop and a phone, in light and dark,
// from the built app in headless Chromium. Each mode is shown at work: a generation, a scored
// text, a short teaching, a time-lapse frame.
//
//   npx tsx src/cli/screenshots.ts [--no-build] [--out docs/screenshots]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { parseArgs, stringFlag } from './args';
import { runScript, withBuiltApp } from './built-app';
import { ROOT } from './paths';

const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;
const TEXT = 'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. '.repeat(12);

async function show(page: Page, mode: string): Promise<void> {
  await page.getByRole('button', { name: mode, exact: true }).first().click();
  if (mode === 'Write') {
    await page.getByLabel('colour by expert').check();
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.locator('soma-app p.status').filter({ hasText: 'Generated' }).waitFor({ timeout: 60_000 });
  } else if (mode === 'Score') {
    await page.getByLabel('Text to score', { exact: true }).fill(TEXT.slice(0, 600));
    await page.getByRole('button', { name: 'Score', exact: true }).last().click();
    await page.locator('soma-score-panel p.total').filter({ hasText: 'nats/char' }).waitFor({ timeout: 60_000 });
    await page.getByRole('region', { name: 'Surprisal heatmap' }).locator('span').nth(4).hover();
  } else if (mode === 'Teach it') {
    await page.getByLabel('Text to teach', { exact: true }).fill(TEXT);
    await page.getByRole('button', { name: 'Teach', exact: true }).click();
    await page.locator('soma-teach-panel p.figures').filter({ hasText: 'Teaching' }).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(3000);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('soma-teach-panel p.figures').filter({ hasText: 'Paused' }).waitFor({ timeout: 60_000 });
  } else {
    await page.locator('soma-timelapse-panel [data-state="done"]').waitFor({ timeout: 60_000 });
  }
  await page.mouse.move(0, 0);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { values: ['out'], booleans: ['no-build'] });
  const out = stringFlag(args, 'out') ?? join(ROOT, 'docs/screenshots');
  mkdirSync(out, { recursive: true });
  await withBuiltApp(!args.flags.has('no-build'), async (url, browser) => {
    for (const [device, viewport] of Object.entries(VIEWPORTS))
      for (const scheme of ['light', 'dark'] as const) {
        const phone = device === 'phone';
        const context = await browser.newContext({ viewport, colorScheme: scheme, isMobile: phone, hasTouch: phone, deviceScaleFactor: 1 });
        const page = await context.newPage();
        await page.goto(url);
        await page.locator('soma-app p.status').filter({ hasText: 'Ready' }).waitFor({ timeout: 120_000 });
        for (const mode of ['Write', 'Score', 'Teach it', 'Time-lapse']) {
          await show(page, mode);
          const file = join(out, `${mode.toLowerCase().replace(/[^a-z]+/g, '-')}-${device}-${scheme}.png`);
          await page.screenshot({ path: file, fullPage: !phone });
          console.log(file.slice(ROOT.length));
        }
        await context.close();
      }
  });
}

runScript(main);
