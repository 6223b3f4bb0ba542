// The built app for browser benchmarks: dist/ built (unless told not to), served on a local static
// server, and a headless Debian Chromium to open it with.
import { join } from 'node:path';
import type { Browser } from '@playwright/test';
import { launchChromium } from './browser';
import { ROOT } from './paths';
import { serveStatic } from './static-server';

/** `dir`: another build to serve (say, an earlier commit's, to compare under the same load); never rebuilt. */
export async function withBuiltApp(build: boolean, use: (url: string, browser: Browser) => Promise<void>, dir?: string): Promise<void> {
  if (build && !dir) {
    const { build: viteBuild } = await import('vite');
    await viteBuild({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  }
  const server = await serveStatic(dir ?? join(ROOT, 'dist'));
  const browser = await launchChromium();
  try {
    await use(server.url, browser);
  } finally {
    await browser.close();
    await server.close();
  }
}

/** A benchmark script's entry: a failure is one line on stderr and exit code 1. */
export function runScript(main: () => Promise<void>): void {
  main().catch((e) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
