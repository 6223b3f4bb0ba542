// Where the weights come from and what happens when they can't: IndexedDB keyed by version and
// hash, a page opened from file://, a corrupt download, a picked or dropped file, no IndexedDB.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Page, type Request, expect, test } from '@playwright/test';
import { readSoma } from '../../src/model/format';
import { DIST, WEIGHTS_PATH, corruptWeights, generate, inEveryWorker, shot, status, waitReady, weights } from './app-helpers';

const picker = (page: Page) => page.locator('soma-weights-picker');

/** The keys of the app's IndexedDB weights store. */
const storedKeys = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('soma');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('weights').objectStore('weights').getAllKeys();
          req.onsuccess = () => resolve(req.result as string[]);
        };
      }),
  );

test('the weights are stored under their version and hash; a reload never fetches them again; a new version replaces the old', async ({ page, context }) => {
  const { version, sha256 } = await readSoma(weights());
  const fetched: Request[] = [];
  context.on('request', (r) => r.url().endsWith('/soma.bin') && fetched.push(r));
  await page.goto('/');
  await waitReady(page);
  // The page loads the model first and stores it right after: poll for the store.
  await expect.poll(() => storedKeys(page)).toEqual([`soma.bin v${version} ${sha256}`]);
  await page.reload();
  await waitReady(page);
  expect(fetched).toHaveLength(1);

  // Pretend the stored copy is an older version: the page must fetch the shipped one and drop the old.
  const old = `soma.bin v${version} ${'0'.repeat(64)}`;
  await page.evaluate(
    ({ key, old }) =>
      new Promise<void>((resolve) => {
        const open = indexedDB.open('soma');
        open.onsuccess = () => {
          const store = open.result.transaction('weights', 'readwrite').objectStore('weights');
          store.get(key).onsuccess = (e) => {
            const entry = (e.target as IDBRequest).result;
            store.delete(key);
            store.put({ ...entry, sha256: '0'.repeat(64), savedAt: 1 }, old).onsuccess = () => resolve();
          };
        };
      }),
    { key: `soma.bin v${version} ${sha256}`, old },
  );
  expect(await storedKeys(page)).toEqual([old]);
  await page.reload();
  await waitReady(page);
  expect(fetched).toHaveLength(2);
  await expect.poll(() => storedKeys(page)).toEqual([`soma.bin v${version} ${sha256}`]);
});

test("the page's own script leaves the engine out: the worker has it, and a page opened from file:// loads it on its own", () => {
  const html = readFileSync(`${DIST}/index.html`, 'utf8');
  const bundle = readFileSync(`${DIST}/${/<script defer src="\.\/([^"]+)"/.exec(html)![1]}`, 'utf8');
  const engineMark = 'busy: stop or pause first'; // a message only the engine itself has
  expect(bundle).not.toContain(engineMark);
  expect(readFileSync(`${DIST}/assets/in-page-engine.js`, 'utf8')).toContain(engineMark);
  expect(readFileSync(`${DIST}/sw.js`, 'utf8')).not.toContain('in-page-engine.js'); // never served by the service worker
});

test('opened from file://, the page explains why, takes soma.bin from the picker, and generates', async ({ page }, info) => {
  await page.goto(pathToFileURL(`${DIST}/index.html`).href);
  await expect(picker(page)).toContainText('opened from a file (file://)');
  await expect(picker(page)).toContainText('python3 -m http.server');
  await expect(page.locator('soma-notices')).toContainText('no offline copy');
  await shot(page, info, 'file-protocol-explained');
  await page.getByLabel('Choose soma.bin').setInputFiles(WEIGHTS_PATH);
  await waitReady(page);
  expect(await generate(page)).toBe(400);
  await expect(page.locator('soma-stats-bar dd').last()).toHaveText('js'); // the backend, the bar's last figure
  await shot(page, info, 'file-protocol-generated');
});

test.describe('with the service worker blocked, so routes reach the page', () => {
  test.use({ serviceWorkers: 'block' });

  test('a corrupt soma.bin shows a clear error and a picker; a non-SOMA file is refused; a dropped good file loads', async ({ page }, info) => {
    await page.route('**/soma.bin', (route) => route.fulfill({ contentType: 'application/octet-stream', body: corruptWeights() }));
    await page.goto('/');
    await expect(picker(page)).toContainText('damaged', { timeout: 30_000 });
    await expect(picker(page)).toContainText('SHA-256 mismatch');
    await expect(page.getByRole('button', { name: 'Generate' })).toBeDisabled();
    await shot(page, info, 'corrupt-weights');

    await page.getByLabel('Choose soma.bin').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, not a model') });
    await expect(picker(page)).toContainText('notes.txt is not a usable soma.bin: bad magic');

    const dropped = await page.evaluateHandle((b64) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'soma.bin', { type: 'application/octet-stream' }));
      return dt;
    }, weights().toString('base64'));
    const zone = picker(page).locator('section');
    await zone.dispatchEvent('dragover', { dataTransfer: dropped });
    await zone.dispatchEvent('drop', { dataTransfer: dropped });
    await waitReady(page);
    expect(await generate(page)).toBe(400);
  });

  test('a failed download explains itself and offers the picker', async ({ page }) => {
    await page.route('**/soma.bin', (route) => route.fulfill({ status: 404, body: 'not here' }));
    await page.goto('/');
    await expect(picker(page)).toContainText('the server answered 404', { timeout: 30_000 });
    await page.getByLabel('Choose soma.bin').setInputFiles(WEIGHTS_PATH);
    await waitReady(page);
  });
});

test('without IndexedDB, or over quota, the page works from memory and says so', async ({ browser }) => {
  // The engine's worker keeps the weights: it is the one to lose IndexedDB, or to find it full.
  const noDb = await browser.newContext({ bypassCSP: true });
  await inEveryWorker(noDb, "Object.defineProperty(self, 'indexedDB', { get: () => undefined, configurable: true });");
  const quota = await browser.newContext({ bypassCSP: true });
  await inEveryWorker(quota, "IDBObjectStore.prototype.put = () => { throw new DOMException('over quota', 'QuotaExceededError'); };");
  for (const [context, reason] of [
    [noDb, 'this browser has no IndexedDB'],
    [quota, "the browser's storage quota is full"],
  ] as const) {
    const page = await context.newPage();
    await page.goto('/');
    await waitReady(page);
    await expect(page.locator('soma-notices')).toContainText(`weights kept in memory only: ${reason}`);
    await expect(page.locator('soma-notices')).not.toContainText('ready to work offline');
    await expect(status(page)).toContainText('Ready');
    expect(await generate(page)).toBe(400);
    await context.close();
  }
});

test("the page's main thread never touches the weights: the engine's worker fetches, stores and reads them", async ({ page, context }) => {
  // Every fetch of soma.bin and every IndexedDB open the page's own thread makes, recorded there.
  await context.addInitScript(() => {
    const seen: string[] = ((window as unknown as { weightsSeen: string[] }).weightsSeen = []);
    const nativeFetch = window.fetch;
    window.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (/soma\.bin$/.test(url)) seen.push(`fetch ${url}`);
      return nativeFetch(input, init);
    };
    const nativeOpen = XMLHttpRequest.prototype.open as (this: XMLHttpRequest, ...args: unknown[]) => void;
    XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, ...args: unknown[]) {
      if (/soma\.bin$/.test(String(args[1]))) seen.push(`xhr ${String(args[1])}`);
      return nativeOpen.apply(this, args);
    } as typeof XMLHttpRequest.prototype.open;
    const factory = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (this: IDBFactory, name: string, version?: number) {
      seen.push(`indexedDB.open ${name}`);
      return factory.call(this, name, version);
    };
  });
  const seen = () => page.evaluate(() => (window as unknown as { weightsSeen: string[] }).weightsSeen);
  const fetched: Request[] = [];
  context.on('request', (r) => r.url().endsWith('/soma.bin') && fetched.push(r));
  await page.goto('/');
  await waitReady(page);
  expect(fetched).toHaveLength(1); // it was downloaded, by the worker
  expect(await seen()).toEqual([]);
  await expect(page.locator('soma-notices')).toContainText('ready to work offline', { timeout: 60_000 });
  await page.reload();
  await waitReady(page);
  expect(fetched).toHaveLength(1); // the warm reload read the stored copy, in the worker
  expect(await seen()).toEqual([]);
  expect(await generate(page)).toBe(400);
});
