import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../src/cli/browser';

// Browser tests run in Debian's Chromium against Vite's dev server. One worker: the machine has two cores.
export default defineConfig({
  testDir: './e2e',
  outputDir: '../test-results/e2e',
  workers: 1,
  timeout: 90_000,
  reporter: [['list'], ['json', { outputFile: '../test-results/playwright.json' }]],
  use: {
    baseURL: 'http://127.0.0.1:5173/',
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: 'npx vite --host 127.0.0.1 --port 5173 --strictPort',
    cwd: '..',
    url: 'http://127.0.0.1:5173/',
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
