// Cleaning the SpamAssassin ham messages: MIME parsing, decoding, and body cleaning. Pure
// functions, unit-tested in tests/cli/corpus.test.ts.
import { normalizeText } from './corpus-text';

/** URLs longer than this are dropped from e-mail text: tracking links are noise to a byte model. */
const MAX_URL_LENGTH = 80;

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

