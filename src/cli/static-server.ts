// A tiny static file server for the built app, as any plain server would serve it: under a path
// prefix or at the root, with a log of what was asked for. Tests can change a file's bytes between
// requests (a new service worker) through `rewrite`. Node only; for tests and the app benchmark.
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
};

export interface StaticServer {
  /** The app's address, ending in the prefix and a slash. */
  url: string;
  /** Paths requested so far, prefix included, in order. */
  hits: string[];
  close(): Promise<void>;
}

export interface StaticOptions {
  prefix?: string; // e.g. "/some/sub/path"; default: the root
  port?: number; // default: any free port
  /** Changes a file's bytes as they are served; `path` is relative to the root, e.g. "sw.js". */
  rewrite?: (path: string, body: Buffer) => Buffer;
}

export async function serveStatic(root: string, options: StaticOptions = {}): Promise<StaticServer> {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const hits: string[] = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    hits.push(path);
    if (prefix && path === prefix) {
      res.writeHead(301, { location: `${prefix}/` }).end();
      return;
    }
    if (!path.startsWith(`${prefix}/`)) {
      res.writeHead(404).end('not found');
      return;
    }
    let rel = normalize(path.slice(prefix.length + 1));
    if (rel.startsWith('..') || rel.includes(`${sep}..`)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (rel === '.' || rel.endsWith(sep) || rel === '') rel = join(rel, 'index.html');
    try {
      const file = join(root, rel);
      if ((await stat(file)).isDirectory()) rel = join(rel, 'index.html');
      let body: Buffer = await readFile(join(root, rel));
      if (options.rewrite) body = options.rewrite(rel.split(sep).join('/'), body);
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}/`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
