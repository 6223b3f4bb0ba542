// The project's root, where the corpus lives and what its files are called: the one place the
// held-out split names are written. Node-only.
import { fileURLToPath } from 'node:url';

/** The project's root folder. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `npm run corpus` writes here: train.txt, a val-<split>.txt per source, and the outside texts. */
export const CORPUS_DIR = 'data/corpus';

/** The corpus's sources, in train.txt's order; each has a held-out split of its own. */
export const SPLITS = ['sotu', 'brown', 'spam', 'wordnet', 'gutenberg'] as const;
export type SplitName = (typeof SPLITS)[number];

/** The splits a training run scores as it goes (and its time-lapse frames): the rest only at release. */
export const TRAINING_VAL_SPLITS: SplitName[] = ['sotu', 'brown'];

export const valFile = (split: string): string => `val-${split}.txt`;

/** English from outside the corpus, which training never reads: name → file in CORPUS_DIR. */
export const OUTSIDE_TEXTS: Record<string, string> = { alice: 'ood-alice.txt' };
