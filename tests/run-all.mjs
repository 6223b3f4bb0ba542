// `npm test`: build the kernels, type-check every layer, run the unit tests (vitest) and the browser
// tests (Playwright), and close with one line totalling them: "N passed, N failed" (the type check
// counts as one).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: false }).status;
const readJson = (p) => (existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null);

rmSync('test-results', { recursive: true, force: true });
if (run('bash', ['.ci/ensure-chromium']) !== 0) console.log('chromium is missing: the browser tests will fail');
mkdirSync('test-results', { recursive: true });
if (run('npx', ['asc', 'wasm/kernels.ts', '--config', 'wasm/asconfig.json', '--target', 'release']) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// Each layer with only its own platform and the layers it may import (tsconfig.layers.json), then
// the tests themselves.
const typecheck = run('npx', ['tsc', '-b', 'tsconfig.layers.json']) === 0 && run('npx', ['tsc', '--noEmit']) === 0;
console.log(`type check: ${typecheck ? 'passed' : 'FAILED'}`);

const unitStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile=test-results/vitest.json']);
const unit = readJson('test-results/vitest.json');
const browserStatus = run('npx', ['playwright', 'test', '--config', 'tests/playwright.config.ts']);
const browser = readJson('test-results/playwright.json');

let passed = typecheck ? 1 : 0;
let failed = typecheck ? 0 : 1;
if (unit) {
  passed += unit.numPassedTests;
  failed += unit.numFailedTests;
}
if (browser) {
  passed += browser.stats.expected + browser.stats.flaky;
  failed += browser.stats.unexpected;
}
// A runner that crashed before reporting counts as one failure, never as a silent pass.
if (!unit || (unitStatus !== 0 && unit.numFailedTests === 0)) failed++;
if (!browser || (browserStatus !== 0 && browser.stats.unexpected === 0)) failed++;
console.log(`unit: ${unit ? `${unit.numPassedTests} passed, ${unit.numFailedTests} failed` : 'no report'}; browser: ${browser ? `${browser.stats.expected} passed, ${browser.stats.unexpected} failed` : 'no report'}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
