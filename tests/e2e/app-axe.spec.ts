// Accessibility checked by a machine (issue 10, item 6): axe-core, injected into the built app, on
// every mode, in light and dark, at phone and desktop sizes: no serious or critical violation.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Page, expect, test } from '@playwright/test';
import { waitReady } from './app-helpers';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } } as const;
const MODES = ['Write', 'Score', 'Teach it', 'Time-lapse'];

/** axe's serious and critical violations on the page as it is, one line each. */
async function violations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE); // evaluated, not a <script>: the page's policy allows none inline
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: { id: string; impact: string; nodes: { target: unknown[]; failureSummary: string }[] }[] }> } }).axe;
    const r = await axe.run(document);
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${JSON.stringify(n.target)} ${n.failureSummary.split('\n').slice(1, 2).join('')}`));
  });
}

for (const [device, viewport] of Object.entries(VIEWPORTS))
  for (const scheme of ['light', 'dark'] as const)
    test(`axe: every mode, ${device}, ${scheme}: no serious or critical violation`, async ({ browser }) => {
      const context = await browser.newContext({ viewport, colorScheme: scheme, isMobile: device === 'phone', hasTouch: device === 'phone' });
      const page = await context.newPage();
      await page.goto('/');
      await waitReady(page);
      const found: string[] = [];
      for (const mode of MODES) {
        await page.getByRole('button', { name: mode, exact: true }).first().click();
        if (mode === 'Write') {
          await page.getByLabel('colour by expert').check();
          await page.getByRole('button', { name: 'Generate' }).click();
          await expect(page.locator('soma-app p.status')).toContainText('Generated', { timeout: 30_000 });
        } else if (mode === 'Score') {
          await page.getByLabel('Text to score', { exact: true }).fill('The state of the union is strong.');
          await page.getByRole('button', { name: 'Score', exact: true }).last().click();
          await expect(page.locator('soma-score-panel p.total')).toContainText('nats/char', { timeout: 30_000 });
        } else if (mode === 'Time-lapse') {
          await expect(page.locator('soma-timelapse-panel [data-state="done"]')).toBeVisible({ timeout: 30_000 });
        }
        for (const v of await violations(page)) found.push(`${mode}: ${v}`);
      }
      expect(found).toEqual([]);
      await context.close();
    });
