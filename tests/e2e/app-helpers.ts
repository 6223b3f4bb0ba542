// Shared steps of the app's browser tests: where things are, waiting for the model, generating.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type Page, type TestInfo, expect } from '@playwright/test';
import { type SomaConfig, paramCount, withConfigDefaults } from '../../src/model/config';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = `${ROOT}dist`;
export const WEIGHTS_PATH = `${ROOT}public/soma.bin`;
export const weights = (): Buffer => readFileSync(WEIGHTS_PATH);

/** The shipped model's config, read from its header: the tests hold for trained weights too. */
export const shippedConfig = (): SomaConfig => {
  const bytes = weights();
  const len = bytes.readUInt32LE(8);
  return withConfigDefaults(JSON.parse(bytes.subarray(12, 12 + len).toString('utf8')).config) as SomaConfig;
};
export const shippedParams = (): string => paramCount(shippedConfig()).toLocaleString('en');

/** soma.bin with one bit flipped in its last tensor: its SHA-256 no longer matches the header. */
export function corruptWeights(): Buffer {
  const bytes = Buffer.from(weights());
  bytes[bytes.length - 5] ^= 0x40;
  return bytes;
}

export const status = (page: Page) => page.locator('soma-app p.status');
export const output = (page: Page) => page.getByRole('region', { name: 'Generated text' });

export async function waitReady(page: Page, timeout = 30_000): Promise<void> {
  await expect(status(page)).toContainText('Ready', { timeout });
}

/** Clicks Generate and waits for the run to finish; returns the bytes the engine reports. */
export async function generate(page: Page): Promise<number> {
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(status(page)).toContainText(/Generated [\d,]+ bytes/, { timeout: 60_000 });
  const line = (await status(page).textContent())!;
  return Number(line.match(/Generated ([\d,]+) bytes/)![1].replace(/,/g, ''));
}

export async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true });
}

/**
 * Runs `prelude` in every module worker the context's pages start, before the worker's own code:
 * the engine keeps the weights in its worker, where a page's init script does not reach. The
 * context needs bypassCSP (the page's policy lets it start only its own workers, not blob: ones).
 */
export async function inEveryWorker(context: BrowserContext, prelude: string): Promise<void> {
  await context.addInitScript((prelude) => {
    const Native = window.Worker;
    const blobUrl = (text: string) => URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
    window.Worker = class extends Native {
      constructor(url: string | URL, options?: WorkerOptions) {
        const first = blobUrl(prelude);
        super(blobUrl(`import ${JSON.stringify(first)};\nimport ${JSON.stringify(new URL(url, location.href).href)};`), options);
      }
    };
  }, prelude);
}
