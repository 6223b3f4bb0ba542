// Reach: phone and desktop viewports, light and dark, the keyboard, and names for screen readers.
import { expect, test } from '@playwright/test';
import { generate, shippedConfig, shot, status, waitReady } from './app-helpers';

const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } } as const;

for (const [device, viewport] of Object.entries(VIEWPORTS))
  for (const scheme of ['light', 'dark'] as const)
    test(`${device} in ${scheme}: fits the width, follows the colour scheme, generates`, async ({ browser }, info) => {
      const context = await browser.newContext({ viewport, colorScheme: scheme, isMobile: device === 'phone', hasTouch: device === 'phone' });
      const page = await context.newPage();
      await page.goto('/');
      await waitReady(page);
      await page.getByLabel('colour by expert').check();
      await generate(page);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      const [r, g, b] = background.match(/\d+/g)!.map(Number);
      expect((r + g + b) / 3 > 128).toBe(scheme === 'light');
      await shot(page, info, `${device}-${scheme}`);
      await context.close();
    });

/** Describes the focused element, looking through shadow roots. */
const focused = () =>
  `(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return '';
    const label = (a.id && a.getRootNode().querySelector('label[for="' + a.id + '"]')) || a.closest('label');
    return (label ? label.textContent : a.getAttribute('aria-label') || a.textContent || a.tagName).trim();
  })()`;

test('the keyboard reaches everything in a sensible order, with a visible focus, and Ctrl+Enter generates', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  const order: string[] = [];
  for (let i = 0; i < 26; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(focused()));
  }
  // The header's figures first (each explains itself on focus), then the modes; Copy and "Score this
  // text" are disabled until there is output, Stop until a run starts; the stats bar's figures explain
  // themselves too.
  const figures = ['tok/s', 'ms/tok', 'ctx', 'load', 'entropy', 'bits', 'mem', 'backend'];
  expect(order).toEqual(['params', 'weights', 'experts', 'nats/char', 'Write', 'Score', 'Teach it', 'Time-lapse', 'Prompt', 'Generate', 'colour by expert', 'Generated text', ...figures, 'Temperature', 'Top-k', 'Top-p', 'Repeat penalty', 'Length (bytes)', 'Defaults']);

  await page.getByLabel('Prompt').focus();
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(`(() => {
    let a = document.activeElement;
    while (a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    const s = getComputedStyle(a);
    return s.outlineStyle + ' ' + s.outlineWidth;
  })()`);
  expect(outline).toMatch(/^solid [3-9]px$/);

  await page.getByLabel('Prompt').press('Control+Enter');
  await expect(status(page)).toContainText('Generated 400 bytes', { timeout: 30_000 });
});

test('screen readers get names: labelled inputs, a named output region, described sparklines, live status', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await generate(page);
  for (const name of ['Prompt', 'Temperature', 'Top-k', 'Top-p', 'Repeat penalty', 'Length (bytes)', 'colour by expert']) await expect(page.getByLabel(name, { exact: true })).toHaveCount(1);
  await expect(page.getByRole('region', { name: 'Generated text' })).toBeVisible();
  await expect(page.getByRole('img', { name: new RegExp(`^expert load over ${shippedConfig().experts} experts: evenness \\d+%`) })).toBeVisible();
  await expect(page.getByRole('img', { name: /^entropy of the model's next-byte distribution/ })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Generated 400 bytes' })).toHaveCount(1);
  await expect(page.getByRole('heading', { name: 'What is this' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'How it works' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'How it runs here' })).toBeVisible();
});
