// Cleaning the corpus's plain-text sources: shared normalisation, the Brown corpus's tagged tokens,
// WordNet's data files. Pure functions, unit-tested in tests/cli/corpus.test.ts.

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

