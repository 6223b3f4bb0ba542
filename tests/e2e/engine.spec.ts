// The engine in the real browser, through the real worker: same bytes as Node for the same seed
// on both backends, stop mid-generation, and a clear error for a corrupt soma.bin.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { readSoma } from '../../src/model/format';
import { DEFAULT_SAMPLING } from '../../src/model/sampler';
import { openSession } from '../../src/cli/node-engine';

const SETTINGS = { ...DEFAULT_SAMPLING, seed: 42, length: 300 };
const PROMPT = 'Fellow citizens — ';

/** A blank page of the dev server's origin, so the page can import the engine's modules. */
async function blank(page: Page): Promise<void> {
  await page.route('**/__blank', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>engine</title>' }));
  await page.goto('/__blank');
}

async function browserGenerate(page: Page, backend: string): Promise<{ bytes: number[]; backend: string }> {
  return page.evaluate(
    async ({ backend, prompt, settings }) => {
      const { EngineClient } = await import('/src/engine/client.ts' as string);
      const client = new EngineClient();
      const loaded = await client.load(await (await fetch('soma.bin')).arrayBuffer(), backend);
      const bytes: number[] = [];
      for await (const chunk of client.generate(new TextEncoder().encode(prompt), { ...settings, continue: false })) bytes.push(...chunk.bytes);
      client.terminate();
      return { bytes, backend: loaded.info.backend };
    },
    { backend, prompt: PROMPT, settings: SETTINGS },
  );
}

test('the same seed gives the same bytes in Node and in the browser, on both backends', async ({ page }) => {
  const node = await openSession(await readSoma(readFileSync('public/soma.bin')), 'wasm-simd');
  const expected = [...node.generate(new TextEncoder().encode(PROMPT), SETTINGS)].map((e) => e.byte);
  await blank(page);
  const auto = await browserGenerate(page, 'auto');
  expect(auto.backend).toBe('wasm-simd'); // Chromium has WebAssembly SIMD
  expect(auto.bytes).toEqual(expected);
  const js = await browserGenerate(page, 'js');
  expect(js.backend).toBe('js');
  expect(js.bytes).toEqual(expected);
});

test('stop ends a long generation mid-way', async ({ page }) => {
  await blank(page);
  const r = await page.evaluate(async () => {
    const { EngineClient } = await import('/src/engine/client.ts' as string);
    const client = new EngineClient();
    await client.load(await (await fetch('soma.bin')).arrayBuffer(), 'auto');
    const gen = client.generate(new Uint8Array(), { temperature: 0.8, topK: 40, topP: 0.95, repeatPenalty: 1.05, repeatWindow: 64, seed: 1, length: 1_000_000, continue: false });
    let received = 0;
    for (;;) {
      const next = await gen.next();
      if (next.done) return { received, done: next.value };
      received += next.value.bytes.length;
      if (received > 0) client.stop();
    }
  });
  expect(r.done.reason).toBe('stopped');
  expect(r.done.generated).toBe(r.received);
  expect(r.received).toBeGreaterThan(0);
  expect(r.received).toBeLessThan(1_000_000);
});

test('a corrupt soma.bin is refused with a clear message', async ({ page }) => {
  await blank(page);
  const message = await page.evaluate(async () => {
    const { EngineClient } = await import('/src/engine/client.ts' as string);
    const bytes = new Uint8Array(await (await fetch('soma.bin')).arrayBuffer());
    bytes[bytes.length - 5] ^= 0x40; // one flipped bit in the last tensor
    try {
      await new EngineClient().load(bytes.buffer, 'auto');
      return 'loaded';
    } catch (e) {
      return (e as Error).message;
    }
  });
  expect(message).toMatch(/^soma\.bin: SHA-256 mismatch/);
});
