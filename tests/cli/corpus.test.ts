import { describe, expect, it } from 'vitest';
import { cleanMailText, dropRepeatedLines, mailToText } from '../../src/cli/corpus-mail';
import { brownToText, detokenize, glossToSentences, normalizeText, parseWordnetLine, splitBrownToken } from '../../src/cli/corpus-text';
import { bookBlocks, gutenbergText, splitDocs } from '../../src/cli/corpus';

describe('corpus: Brown', () => {
  it('strips tags, splitting at the last slash', () => {
    expect(splitBrownToken('Fulton/np-tl')).toEqual({ word: 'Fulton', tag: 'np-tl' });
    expect(splitBrownToken('1/2/cd')).toEqual({ word: '1/2', tag: 'cd' });
  });

  it('rejoins tokens into prose: quotes, punctuation, brackets, dashes', () => {
    const line =
      "\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn of/in " +
      "Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti " +
      'irregularities/nns took/vbd place/nn ./.';
    expect(brownToText(line)).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
    expect(detokenize(['(', '1', ')', 'Four', 'deputies', '--', 'at', 'least', ',', "'", 'soon', "'", ';', 'Jr.', '.'])).toBe(
      "(1) Four deputies -- at least, 'soon'; Jr.",
    );
  });

  it('keeps sentences of a paragraph on one line, paragraphs and headlines on their own', () => {
    const raw = '\n\n\tHe/pps came/vbd ./.\nShe/pps left/vbd ./.\n\n\nNews/nn-hl \n\n\n\tIt/pps rained/vbd ./.\n';
    expect(brownToText(raw)).toBe('He came. She left.\nNews\nIt rained.');
  });
});

describe('corpus: e-mail', () => {
  const message = [
    'From joe@example.org  Thu Aug 22 14:44:26 2002',
    'Received: from localhost',
    '\tby mail.example.org with SMTP',
    'From: Joe <joe@example.org>',
    'Subject: Re: pasta',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="XYZ"',
    '',
    'This is a multi-part message in MIME format.',
    '--XYZ',
    'Content-Type: multipart/alternative; boundary="ALT"',
    '',
    '--ALT',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'On Thu, 22 Aug 2002, Ann wrote:',
    '> Cream in carbonara?',
    '> Never.',
    '',
    'I use cr=E8me fra=EEche, and it works quite nicely.',
    '',
    '-- ',
    'Joe Bloggs, http://example.org/~joe',
    '--ALT',
    'Content-Type: text/html',
    '',
    '<html><body><p>I use <b>cr&egrave;me</b> fra&icirc;che</p></body></html>',
    '--ALT--',
    '--XYZ',
    'Content-Type: application/octet-stream; name="recipe.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    'SGVsbG8sIHRoaXMgaXMgYSBiYXNlNjQgZW5jb2RlZCBhdHRhY2htZW50IHRoYXQgbXVzdCBnbw==',
    '--XYZ--',
    '',
  ].join('\n');

  it('keeps only the plain body: no headers, quotes, attribution, signature, HTML or base64', () => {
    expect(mailToText(message)).toBe('I use crème fraîche, and it works quite nicely.');
  });

  it('strips the tags of an HTML-only message', () => {
    const html = 'Content-Type: text/html\n\n<html><head><style>p{}</style></head><body><p>Hello&nbsp;<b>there</b></p><p>Bye</p></body></html>\n';
    expect(mailToText(html)).toBe('Hello there\n\nBye'); // paragraphs become blank-line separated
  });

  it('drops blobs, list footers and long URLs, and collapses blank lines', () => {
    const body = [
      'Joe joked:',
      '> quoted',
      'See http://example.org/a and http://example.org/' + 'x'.repeat(90),
      '',
      '',
      '',
      'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eg==',
      'Bye',
      '_______________________________________________',
      'Foo-users mailing list',
      'Foo-users@example.org',
    ].join('\n');
    expect(cleanMailText(body)).toBe('See http://example.org/a and\n\nBye');
  });

  it('drops lines repeated across many documents', () => {
    const docs = Array.from({ length: 10 }, (_, i) => ({ text: `message ${i}\nYou are subscribed to this list` }));
    expect(dropRepeatedLines(docs, 12, 10)[3].text).toBe('message 3');
    expect(dropRepeatedLines(docs, 12, 11)[3].text).toBe('message 3\nYou are subscribed to this list');
  });
});

describe('corpus: WordNet', () => {
  it('turns a data line into plain sentences', () => {
    const line =
      '00301187 00 a 01 abstemious 0 002 & 00299217 a 0000 + 04884219 n 0101 | sparing in consumption of especially food and drink; ' +
      '"the pleasures of the table, never of much consequence to one naturally abstemious"- John Galsworthy; "an abstemious diet"  ';
    expect(parseWordnetLine(line)).toEqual({
      offset: '00301187',
      text: 'Sparing in consumption of especially food and drink. The pleasures of the table, never of much consequence to one naturally abstemious. An abstemious diet.',
    });
    expect(parseWordnetLine('  1 This software and database is being provided to you, the LICENSEE, by  ')).toBeNull();
  });

  it('keeps a quoted word inside a definition', () => {
    expect(glossToSentences('a word such as "please" used to ask; "say please"')).toEqual(['A word such as "please" used to ask.', 'Say please.']);
  });
});

describe('corpus: normalisation and split', () => {
  it('normalises line ends, Unicode form, typographic marks and control characters', () => {
    expect(normalizeText('Cafe\u0301 \u201Cquoted\u201D \u2014 it\u2019s\r\n\u0007done  \n\n\n\nend')).toBe('Café "quoted" -- it\'s\ndone\n\nend');
  });

  it('splits whole documents deterministically, val first reaching the minimum size', () => {
    const docs = Array.from({ length: 50 }, (_, i) => ({ id: `doc${i}`, text: 'x'.repeat(100) }));
    const a = splitDocs('test', docs, '\n\n', 1000);
    const b = splitDocs('test', [...docs], '\n\n', 1000);
    expect(a.val.map((d) => d.id)).toEqual(b.val.map((d) => d.id));
    expect(a.val.length).toBe(10); // 10 x 102 bytes >= 1000
    expect(a.train.length + a.val.length).toBe(50);
    expect(a.train.some((d) => a.val.includes(d))).toBe(false);
  });
});

describe('corpus: the text from outside it', () => {
  it("drops a Gutenberg text's title tag and normalises the rest", () => {
    expect(gutenbergText("[Alice's Adventures in Wonderland by Lewis Carroll 1865]\n\nCHAPTER I.  \r\nAlice was\n\n\n\nbeginning")).toBe('CHAPTER I.\nAlice was\n\nbeginning');
    expect(gutenbergText('No tag [here]\n')).toBe('No tag [here]');
    expect(gutenbergText("[Ball 1909]\nThe end.\n\n\nEnd of Project Gutenberg's The Ball\n\n*** END ***\nmore")).toBe('The end.');
  });

  it('cuts a book into blocks of at least the given size at paragraph breaks, losing nothing but the breaks', () => {
    const text = ['a'.repeat(5), 'b'.repeat(7), 'c'.repeat(3), 'd'.repeat(9)].join('\n\n');
    const blocks = bookBlocks(text, 6);
    expect(blocks).toEqual(['aaaaa\n\nbbbbbbb', 'ccc\n\nddddddddd']);
    expect(blocks.join('\n\n')).toBe(text);
    expect(bookBlocks('short', 100)).toEqual(['short']);
  });
});
