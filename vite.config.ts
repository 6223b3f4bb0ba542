/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs';
import { build, defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { IN_PAGE_ENGINE } from './src/engine/protocol';
import { readSoma } from './src/model/format';

// The strict policy of the built app. The dev server injects an inline client script, so it runs without one.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/**
 * manifest.webmanifest lives at the top of the project, beside index.html: served as it is in
 * development and emitted under the same name into the build (index.html links it with vite-ignore,
 * so Vite leaves the name alone and its icon paths stay relative to the app's root).
 */
function manifest(): Plugin {
  const source = () => readFileSync(new URL('./manifest.webmanifest', import.meta.url));
  return {
    name: 'soma-manifest',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.split('?')[0].endsWith('/manifest.webmanifest')) {
          res.setHeader('Content-Type', 'application/manifest+json');
          res.end(source());
        } else next();
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'manifest.webmanifest', source: source() });
    },
  };
}

/**
 * The built page loads its bundle as a classic deferred script: Chromium refuses module scripts
 * (and anything marked crossorigin) on a page opened from file://, and a classic script still runs
 * there, so the app can boot, explain, and take soma.bin from a file picker.
 */
function buildHtml(): Plugin {
  return {
    name: 'soma-build-html',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: (html) =>
        html
          .replace(/<script type="module" crossorigin src=/g, '<script defer src=')
          .replace(/ crossorigin(?=[ >])/g, '')
          .replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`),
    },
  };
}

/**
 * The engine of a page opened from file:// (src/engine/in-page.ts), built after the app as a classic
 * script of its own beside the page's bundle. The page loads it only from file://, so every other
 * visit parses and runs 60 KB less at start-up. Not precached: the service worker never serves file://.
 */
function inPageEngine(): Plugin {
  let outDir = 'dist';
  return {
    name: 'soma-in-page-engine',
    apply: 'build',
    configResolved: (config) => void (outDir = config.build.outDir),
    async closeBundle() {
      await build({
        configFile: false,
        logLevel: 'warn',
        build: {
          outDir,
          emptyOutDir: false,
          target: 'es2022',
          copyPublicDir: false,
          lib: { entry: new URL('./src/engine/in-page.ts', import.meta.url).pathname, formats: ['iife'], name: 'somaInPage', fileName: () => `assets/${IN_PAGE_ENGINE.file}` },
        },
      });
    },
  };
}

/**
 * Tells the app which soma.bin it ships (format version, SHA-256, size), read from the file's own
 * header, so a reload can take the weights from IndexedDB without asking the network whether they changed.
 */
function shippedWeights(): Plugin {
  return {
    name: 'soma-shipped-weights',
    async config(_, env) {
      if (env.mode === 'test') return;
      let shipped = null;
      try {
        const f = await readSoma(readFileSync(new URL('./public/soma.bin', import.meta.url)));
        shipped = { version: f.version, sha256: f.sha256, fileBytes: f.fileBytes };
      } catch {
        // No usable shipped file: the app fetches whatever is served and validates it then.
      }
      return { define: { 'import.meta.env.SOMA_WEIGHTS': JSON.stringify(shipped) } };
    },
  };
}

export default defineConfig({
  // Relative URLs, so the built app works from the root of a server or from any sub-path.
  base: './',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: false,
    cssCodeSplit: false, // one stylesheet file: an inline <style> would need a looser content security policy
    // One classic script (see buildHtml); the engine's worker stays a module of its own.
    rollupOptions: { output: { format: 'iife', inlineDynamicImports: true } },
  },
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
  plugins: [
    buildHtml(),
    inPageEngine(),
    manifest(),
    shippedWeights(),
    VitePWA({
      injectRegister: false, // src/boot/service-worker.ts registers it through workbox-window
      registerType: 'prompt', // a new version waits until the user says reload
      manifest: false, // manifest.webmanifest is ours, linked from index.html
      workbox: {
        // The app shell, the engine's worker and its WASM kernels. soma.bin is not precached:
        // the app keeps it in IndexedDB, so it is downloaded once, not twice.
        globPatterns: ['**/*.{html,js,css,wasm,webmanifest,png,svg}', 'timelapse/index.json'],
        globIgnores: [`**/${IN_PAGE_ENGINE.file}`], // the engine of a page opened from file://, which no service worker serves
        // The time-lapse frames (about 1.2 MB each) are kept once viewed, not precached: most
        // visits never open the time-lapse. The app asks for them with their hash in the query, so
        // a cached frame is never mistaken for another run's.
        runtimeCaching: [
          {
            urlPattern: /\/timelapse\/\d{12}\.bin\?sha=[0-9a-f]+$/,
            handler: 'CacheFirst',
            options: { cacheName: 'soma-timelapse', cacheableResponse: { statuses: [200] }, expiration: { maxEntries: 40 } },
          },
        ],
        navigateFallback: 'index.html',
        // Control the page of the first visit at once, so what it fetches later (time-lapse frames) is
        // kept for offline use. Updates still wait for the user's "reload" (no skipWaiting).
        clientsClaim: true,
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
