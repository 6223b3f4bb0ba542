// One engine, one state, visible everywhere (issue 10, item 2), and the model in use always shown
// and kept across a reload (item 3).
import { readFileSync } from 'node:fs';
import { type Page, expect, test } from '@playwright/test';
import { ROOT, generate, output, status, waitReady } from './app-helpers';

const SOTU = readFileSync(`${ROOT}tests/fixtures/sotu-excerpt.txt`, 'utf8');
const header = (page: Page) => page.locator('soma-model-header');
const teachStatus = (page: Page) => page.locator('soma-teach-panel p.figures');

async function startTeaching(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Teach it' }).click();
  await page.getByLabel('Text to teach', { exact: true }).fill(SOTU.slice(0, 4000));
  await page.getByRole('button', { name: 'Teach', exact: true }).click();
  await expect(teachStatus(page)).toContainText('Teaching', { timeout: 30_000 });
}

test('while Teach it runs, Write and Score wait with the reason shown, and nothing ends in a "busy" error', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => /busy/.test(m.text()) && errors.push(m.text()));
  await page.goto('/');
  await waitReady(page);
  await startTeaching(page);
  await expect(header(page)).toContainText(/engine\s*teaching/);

  await page.getByRole('button', { name: 'Write' }).click();
  await expect(page.getByRole('button', { name: 'Generate' })).toBeDisabled();
  await expect(page.locator('soma-prompt')).toContainText('Teaching: pause it to write.');
  await page.getByLabel('Prompt').press('Control+Enter'); // the keyboard cannot get round it
  await expect(status(page)).not.toContainText('Generat');
  await expect(page.locator('soma-write-panel').getByRole('button', { name: /^Use the/ })).toHaveCount(0); // no tuned copy yet

  await page.getByRole('button', { name: 'Score', exact: true }).click();
  await page.getByLabel('Text to score', { exact: true }).fill('Some text.');
  await expect(page.getByRole('button', { name: 'Score', exact: true }).last()).toBeDisabled();
  await expect(page.locator('soma-score-panel')).toContainText('Teaching: pause it to score.');

  await page.getByRole('button', { name: 'Teach it' }).click();
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(teachStatus(page)).toContainText('Paused', { timeout: 15_000 });
  await expect(header(page)).toContainText(/engine\s*ready/);

  // And the other way round: while it writes, Teach it and Score wait.
  await page.getByRole('button', { name: 'Write' }).click();
  await page.getByLabel('Length (bytes)').fill('20000');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(header(page)).toContainText(/engine\s*writing/);
  await page.getByRole('button', { name: 'Teach it' }).click();
  await expect(page.getByRole('button', { name: 'Resume' })).toBeDisabled();
  await expect(page.locator('soma-teach-panel')).toContainText('Writing: stop it to teach.');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('button', { name: 'Resume' })).toBeEnabled();
  await page.getByRole('button', { name: 'Write' }).click();
  await expect(status(page)).toContainText('(stopped)');
  expect(await page.locator('soma-app').getByRole('alert').count()).toBe(0);
  expect(errors).toEqual([]);
});

test('the model in use is named in the header and in Write, switches in one click, and a reload keeps the choice', async ({ page }) => {
  await page.goto('/');
  await waitReady(page);
  await expect(header(page)).toContainText(/model in use\s*original/);
  await expect(page.locator('soma-write-panel')).toContainText('Writing with: original');
  await startTeaching(page);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(teachStatus(page)).toContainText('Paused', { timeout: 15_000 });
  await expect(header(page)).toContainText(/model in use\s*original/); // taught, but not yet chosen

  await page.getByRole('button', { name: 'Write' }).click();
  const today = new Date().toISOString().slice(0, 10);
  const toTuned = page.getByRole('button', { name: `Use the tuned model (your pasted text, 4.0 KB, ${today})` });
  await toTuned.click();
  const tunedLabel = `tuned on your pasted text, 4.0 KB, ${today}`;
  await expect(header(page)).toContainText(tunedLabel);
  await expect(page.locator('soma-write-panel')).toContainText(`Writing with: ${tunedLabel}`);
  expect(await generate(page)).toBe(400);

  await page.reload();
  await waitReady(page);
  await expect(header(page)).toContainText(tunedLabel);
  await expect(page.locator('soma-write-panel')).toContainText(`Writing with: ${tunedLabel}`);
  await page.getByRole('button', { name: 'Teach it' }).click();
  await expect(page.getByLabel('tuned', { exact: true })).toBeChecked();

  await page.getByRole('button', { name: 'Write' }).click();
  await page.getByRole('button', { name: 'Use the original' }).click();
  await expect(header(page)).toContainText(/model in use\s*original/);
  await page.reload();
  await waitReady(page);
  await expect(page.locator('soma-write-panel')).toContainText('Writing with: original');
  await expect(output(page)).toBeVisible();
});
