// "Teach it" in the browser: the held-out nats/char of a 50 KB text with a distinctive style, before
// and while the app fine-tunes on it, in headless Chromium against the built dist/. It prints
// figures; it asserts nothing. The Node twin is `soma tune` (docs/teach.md).
//
//   node bench/teach-text.mjs /tmp/log.txt && npx tsx src/cli/bench-teach.ts /tmp/log.txt [--seconds 120] [--no-build]
import { readFileSync } from 'node:fs';
import { UsageError, numberFlag, parseArgs } from './args';
import { runScript, withBuiltApp } from './built-app';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { values: ['seconds'], booleans: ['no-build'] });
  if (args.positionals.length !== 1) throw new UsageError('bench-teach takes one text FILE');
  const seconds = numberFlag(args, 'seconds', 120, 10, 3600);
  const text = readFileSync(args.positionals[0], 'utf8');
  await withBuiltApp(!args.flags.has('no-build'), async (url, browser) => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.locator('soma-app p.status').filter({ hasText: 'Ready' }).waitFor({ timeout: 120_000 });
    const backend = (await page.locator('soma-app p.status').textContent())!.match(/Ready: (\S+)/)?.[1];
    await page.getByRole('button', { name: 'Teach it' }).click();
    await page.getByLabel('Text to teach', { exact: true }).fill(text);
    await page.getByRole('button', { name: 'Teach', exact: true }).click();
    const figures = page.locator('soma-teach-panel p.figures');
    await figures.filter({ hasText: 'Teaching' }).waitFor({ timeout: 120_000 });
    console.log(`SOMA app, Teach it: ${text.length.toLocaleString('en')} bytes (last 10% held out), ${backend} engine, headless Chromium ${browser.version()}`);
    console.log('  seconds  held-out nats/char (before -> now)   steps');
    const read = async () => {
      const line = (await figures.textContent())!.replace(/\s+/g, ' ');
      const m = line.match(/([\d.]+) before, ([\d.]+) now · step ([\d,]+)/);
      if (!m) throw new Error(`unexpected progress line: ${line}`);
      return { before: Number(m[1]), now: Number(m[2]), steps: m[3] };
    };
    const t0 = Date.now();
    let last = await read();
    for (let t = 10; t <= seconds; t += 10) {
      await page.waitForTimeout(t0 + t * 1000 - Date.now());
      last = await read();
      console.log(`  ${String(t).padStart(7)}  ${last.before.toFixed(4)} -> ${last.now.toFixed(4)}               ${last.steps.padStart(6)}`);
    }
    console.log(`browser teach: ${last.before.toFixed(4)} -> ${last.now.toFixed(4)} (drop ${(last.before - last.now).toFixed(2)}) in ${seconds} s`);
  });
}

runScript(main);
