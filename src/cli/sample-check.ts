// `soma sample-check`: how much of what the model writes is English words. Samples several seeds at
// one temperature from one prompt, splits the output into words, and counts those in a word list
// (Debian's wamerican by default). The training issue's figure of merit beside nats/char.
import { DEFAULT_SAMPLING, SAMPLING_LIMITS } from '../model/sampler';
import { encodeUtf8 } from '../model/utf8';
import { UsageError, numberFlag, parseArgs, stringFlag } from './args';
import { loadWeights, openSession, readInput } from './node-engine';

export const DEFAULT_WORDS = '/usr/share/dict/words';

/** The words of a text: runs of ASCII letters, with inner apostrophes ("don't", "nation's"). */
export const wordsOf = (text: string): string[] => text.match(/[A-Za-z]+(?:'[A-Za-z]+)*/g) ?? [];

/** A word list (one word per line) as a set of lower-case words. */
export function wordSet(list: string): Set<string> {
  return new Set(list.split('\n').map((w) => w.trim().toLowerCase()).filter(Boolean));
}

/** Words of `text` found in `known` (case-insensitive), and all words. */
export function countRealWords(text: string, known: Set<string>): { real: number; total: number } {
  const words = wordsOf(text);
  return { real: words.filter((w) => known.has(w.toLowerCase())).length, total: words.length };
}

export async function sampleCheck(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['weights', 'words', 'samples', 'length', 'temp', 'prompt', 'first-seed'], booleans: ['json', 'show'] });
  if (a.positionals.length) throw new UsageError('sample-check takes no positional arguments');
  const samples = numberFlag(a, 'samples', 8, 1, 1000, true);
  const length = numberFlag(a, 'length', 500, 1, 1_000_000, true);
  const temperature = numberFlag(a, 'temp', 0.8, ...SAMPLING_LIMITS.temperature);
  const firstSeed = numberFlag(a, 'first-seed', 1, ...SAMPLING_LIMITS.seed, true);
  const prompt = stringFlag(a, 'prompt') ?? 'The ';
  const wordsPath = stringFlag(a, 'words') ?? DEFAULT_WORDS;
  const known = wordSet(new TextDecoder().decode(await readInput(wordsPath, 'word list (Debian: apt-get install wamerican)')));
  if (known.size === 0) throw new UsageError(`${wordsPath} holds no words`);
  const weightsPath = stringFlag(a, 'weights');
  const session = await openSession(await loadWeights(weightsPath), 'wasm-simd');
  let real = 0, total = 0;
  const perSample: number[] = [];
  for (let i = 0; i < samples; i++) {
    const bytes: number[] = [];
    for (const ev of session.generate(encodeUtf8(prompt), { ...DEFAULT_SAMPLING, temperature, length, seed: firstSeed + i })) bytes.push(ev.byte);
    const text = new TextDecoder().decode(Uint8Array.from(bytes));
    const c = countRealWords(text, known);
    real += c.real;
    total += c.total;
    perSample.push(c.total ? c.real / c.total : 0);
    if (a.flags.has('show')) console.log(`--- seed ${firstSeed + i}: ${(100 * perSample[i]).toFixed(1)}% of ${c.total} words\n${text}`);
  }
  const share = total ? real / total : 0;
  const result = { weights: weightsPath ?? 'public/soma.bin', samples, length, temperature, prompt, words: total, realWords: real, realShare: share, perSample };
  if (a.flags.has('json')) console.log(JSON.stringify(result));
  else console.log(`${samples} samples of ${length} bytes at temperature ${temperature} from ${JSON.stringify(prompt)}: ${real} of ${total} words are in the word list: ${(100 * share).toFixed(1)}%`);
}
