// Words for people (issue 10, item 5): About in plain words with the details collapsed, figures
// explained on hover and focus, one message for an empty Score, Ctrl+Enter anywhere in Write, a
// space symbol the fonts have, a refused seed said so, and the sampling controls by the prompt on
// a phone. ("1 byte" and Escape are in app-responsive.spec.ts.)
import { type Page, expect, test } from '@playwright/test';
import { status, waitReady } from './app-helpers';

test('About reads in plain words, with the technical record in a collapsed Details part', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  const about = page.locator('soma-about');
  for (const name of ['What is this', 'How it works', 'How it runs here']) await expect(about.getByRole('heading', { name })).toBeVisible();
  const details = about.locator('details');
  await expect(details).not.toHaveAttribute('open');
  const visible = await about.evaluate((el) => {
    const root = el.shadowRoot!;
    return [...root.querySelectorAll('section')].map((s) => s.textContent).join(' ');
  });
  for (const jargon of ['antithetic', 'perturbation', 'lr ', 'LSTM', 'SPSA', 'GELU', 'SIMD', 'IndexedDB', 'SHA-256', 'auxiliary']) expect(visible).not.toContain(jargon);
  // Short sentences: none of the visible ones runs past 30 words.
  for (const sentence of visible.split(/[.!?]\s/)) expect(sentence.trim().split(/\s+/).length).toBeLessThanOrEqual(30);
  await details.locator('summary').click();
  await expect(details).toContainText('LSTM');
  await expect(details).toContainText(/antithetic|SPSA/);
});

test('the header\'s and the stats bar\'s figures explain themselves on hover and on keyboard focus', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  const term = (where: string, name: string) => page.locator(where).locator(`soma-term[term="${name}"]`);
  await term('soma-model-header', 'nats/char').hover();
  await expect(term('soma-model-header', 'nats/char').getByRole('tooltip')).toBeVisible();
  await expect(term('soma-model-header', 'nats/char').getByRole('tooltip')).toContainText(/nats per character on held-out text.*Lower is better/);
  for (const name of ['ctx', 'load', 'entropy', 'bits']) {
    const t = term('soma-stats-bar', name);
    await t.locator('.term').focus(); // the keyboard, not the pointer
    await expect(t.getByRole('tooltip')).toBeVisible();
    expect((await t.getByRole('tooltip').textContent())!.length).toBeGreaterThan(40);
  }
  await expect(term('soma-stats-bar', 'ctx').locator('[role="tooltip"]')).toContainText('bytes the model has read');
});

test('an empty Score says one thing, and nothing waits', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByRole('button', { name: 'Score', exact: true }).click();
  await page.getByRole('button', { name: 'Score', exact: true }).last().click();
  const panel = page.locator('soma-score-panel');
  await expect(panel.getByRole('alert')).toHaveText(/^Nothing to score: the text is empty/);
  await expect(panel).not.toContainText('Scoring…');
  await expect(panel.getByRole('status')).toHaveCount(0);
});

test('Ctrl+Enter generates from anywhere in Write, not only from the prompt', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByLabel('Length (bytes)').fill('30');
  await page.getByLabel('Length (bytes)').press('Control+Enter'); // focus in the settings
  await expect(status(page)).toContainText('Generated 30 bytes');
  await page.locator('soma-about').click(); // focus nowhere in particular
  await page.keyboard.press('Control+Enter');
  await expect(status(page)).toContainText(/Generated 30 bytes in/);
});

/** Whether the browser draws `ch` with a real glyph in `font`, not the missing-glyph box. */
const hasGlyph = (page: Page, ch: string, font: string) =>
  page.evaluate(
    ({ ch, font }) => {
      const draw = (c: string) => {
        const canvas = new OffscreenCanvas(64, 64);
        const g = canvas.getContext('2d')!;
        g.font = font;
        g.fillText(c, 8, 40);
        return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
      };
      return draw(ch) !== draw('\u{10FFFD}') && draw(ch) !== draw('\u0378');
    },
    { ch, font },
  );

test('a space byte is shown with a symbol the page\'s fonts have', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByRole('button', { name: 'Score', exact: true }).click();
  await page.getByLabel('Text to score', { exact: true }).fill('a b');
  await page.getByRole('button', { name: 'Score', exact: true }).last().click();
  await expect(page.locator('soma-score-panel p.total')).toContainText('nats/char');
  await page.getByRole('region', { name: 'Surprisal heatmap' }).locator('span').nth(1).hover();
  const strong = page.locator('soma-byte-details strong').first();
  await expect(strong).toContainText('space');
  const symbol = [...(await strong.textContent())!][0];
  const font = await strong.evaluate((el) => getComputedStyle(el).font);
  expect(await hasGlyph(page, symbol, font), `${symbol} (U+${symbol.codePointAt(0)!.toString(16)}) in ${font}`).toBe(true);
});

test('the time-lapse refuses seed -1 and says so', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await page.getByRole('button', { name: 'Time-lapse' }).click();
  const seed = page.locator('soma-timelapse-panel').getByLabel('Seed');
  await seed.fill('-1');
  await seed.press('Enter');
  await expect(page.locator('soma-timelapse-panel').getByRole('alert')).toContainText('Seed must be a whole number from 0 to 4,294,967,295');
  await expect(seed).toHaveAttribute('aria-invalid', 'true');
  await seed.fill('3');
  await seed.press('Enter');
  await expect(page.locator('soma-timelapse-panel').getByText('Seed must be')).toHaveCount(0);
});

test('on a phone the sampling controls open right under the prompt, above the output', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto('/');
  await waitReady(page);
  const summary = page.getByText(/^Sampling: temperature 0\.80/);
  await expect(summary).toBeVisible();
  const below = async (a: string, b: { boundingBox(): Promise<{ y: number } | null> }) => (await page.getByLabel(a).boundingBox())!.y < (await b.boundingBox())!.y;
  expect(await below('Prompt', summary)).toBe(true);
  await summary.tap();
  await expect(page.getByLabel('Temperature')).toBeVisible();
  const outputBox = page.getByRole('region', { name: 'Generated text' });
  expect((await page.getByLabel('Temperature').boundingBox())!.y).toBeLessThan((await outputBox.boundingBox())!.y);
  await page.getByLabel('Length (bytes)').fill('20');
  await expect(page.getByText(/^Sampling: .*, 20 bytes$/)).toBeVisible();
  await context.close();
});
