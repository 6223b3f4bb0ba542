// The import graph of src/: every edge between layers must be an allowed arrow (docs/architecture.md).
// The per-layer tsconfigs make a forbidden import a build error too; this test names the edge.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

type Layer = 'model' | 'train' | 'engine' | 'ui' | 'cli';

/** The layer of a file under src/: the page (ui) is src/ui, src/boot and main.ts. */
function layerOf(file: string): Layer {
  const top = relative(SRC, file).split(/[\\/]/)[0];
  return top === 'model' || top === 'train' || top === 'engine' || top === 'cli' ? top : 'ui';
}

/**
 * Whether a file in layer `from` may import `toFile` (in `to`). The page reaches the engine
 * through its client and protocol, nothing else: not even for a page opened from file://, whose
 * engine is a script of its own (src/engine/in-page.ts).
 */
function allowed(from: Layer, to: Layer, toFile: string): boolean {
  if (from === to) return true;
  switch (from) {
    case 'model': return false;
    case 'train': return to === 'model';
    case 'engine': return to === 'model' || to === 'train';
    case 'ui': return to === 'engine' && /[\\/]engine[\\/](client|protocol)\.ts$/.test(toFile);
    case 'cli': return to === 'model' || to === 'train' || to === 'engine';
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.ts$/.test(f) && !/\.d\.ts$/.test(f) ? [p] : [];
  });
}

/** Every relative import of a file (static, re-export, dynamic), resolved to a .ts file under src/. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s.replace(/\?.*$/, '')).replace(/(\.ts)?$/, '.ts')).filter((p) => p.startsWith(SRC));
}

describe('layers', () => {
  it('every import between layers follows an allowed arrow', () => {
    const bad: string[] = [];
    let edges = 0;
    for (const file of sourceFiles(SRC)) {
      const from = layerOf(file);
      for (const target of importsOf(file)) {
        edges++;
        const to = layerOf(target);
        if (!allowed(from, to, target)) bad.push(`${relative(SRC, file)} -> ${relative(SRC, target)} (${from} -> ${to})`);
      }
    }
    expect(edges).toBeGreaterThan(100); // the parser found the graph
    expect(bad).toEqual([]);
  });

  it('catches a forbidden edge', () => {
    expect(allowed('engine', 'ui', join(SRC, 'ui/soma-app.ts'))).toBe(false);
    expect(allowed('ui', 'model', join(SRC, 'model/utf8.ts'))).toBe(false);
    expect(allowed('ui', 'engine', join(SRC, 'engine/session.ts'))).toBe(false);
    expect(allowed('ui', 'engine', join(SRC, 'engine/protocol.ts'))).toBe(true);
    expect(allowed('ui', 'engine', join(SRC, 'engine/local-engine.ts'))).toBe(false);
    expect(allowed('cli', 'ui', join(SRC, 'ui/engine-controller.ts'))).toBe(false);
    expect(allowed('model', 'train', join(SRC, 'train/spsa.ts'))).toBe(false);
    expect(importsOf(join(SRC, 'cli/soma.ts')).some((p) => p.endsWith('cli/train.ts'))).toBe(true); // dynamic imports count
  });
});
