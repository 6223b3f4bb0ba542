import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../src/cli/browser';

// Browser tests run in Debian's Chromium. The engine's tests import its modules from Vite's dev
// server; the app's tests run the built app (service worker, content security policy and all),
// served by `vite preview`. One worker: the machine has two cores.
const DEV_URL = 'http://127.0.0.1:5173/';
const PREVIEW_URL = 'http://127.0.0.1:4173/';

export default defineConfig({
  testDir: './e2e',
  outputDir: '../test-results/e2e',
  workers: 1,
  timeout: 90_000,
  reporter: [['list'], ['json', { outputFile: '../test-results/playwright.json' }]],
  use: {
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'engine', testMatch: 'engine.spec.ts', use: { baseURL: DEV_URL } },
    { name: 'app', testMatch: 'app*.spec.ts', use: { baseURL: PREVIEW_URL } },
  ],
  webServer: [
    {
      command: 'npx vite --host 127.0.0.1 --port 5173 --strictPort',
      cwd: '..',
      url: DEV_URL,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: 'npx vite build --logLevel warn && npx vite preview --host 127.0.0.1 --port 4173 --strictPort',
      cwd: '..',
      url: PREVIEW_URL,
      reuseExistingServer: !process.env.CI,
      timeout: 180_000,
    },
  ],
});
