// The page's one view of its engine: what it is doing (one activity at a time) and which model it
// writes with. Every controller that uses the engine claims it here first, so no action can run
// into another and end in a "busy" error; every control that would collide shows why it waits.
// The choice of model is remembered across reloads. Components see it through EngineStateController.
import { ChangeController } from './change-controller';
import type { Engine, Provenance, WeightsState } from '../engine/protocol';

export type Activity = 'loading' | 'idle' | 'generating' | 'scoring' | 'teaching';
/** What a control wants to do with the engine. */
export type Want = 'write' | 'score' | 'teach' | 'switch';

const DOING: Record<Exclude<Activity, 'idle'>, [string, string]> = {
  loading: ['Loading the model', 'wait for it'],
  generating: ['Writing', 'stop it'],
  scoring: ['Scoring', 'stop it'],
  teaching: ['Teaching', 'pause it'],
};
const TO: Record<Want, string> = { write: 'to write', score: 'to score', teach: 'to teach', switch: 'to switch models' };

/** Why a control waits while the engine does something else, e.g. "Teaching: pause it to write". */
export function waitReason(activity: Activity, want: Want): string {
  if (activity === 'idle') return '';
  const [doing, undo] = DOING[activity];
  return activity === 'loading' ? `${doing}: ${undo}.` : `${doing}: ${undo} ${TO[want]}.`;
}

/** Where a tuned copy came from, as the user knows it. */
export interface TunedSource {
  name: string; // the file's name, or "your pasted text"
  bytes: number; // of the text taught
}

const CHOICE_KEY = 'soma.model.v1';
const SOURCE_KEY = 'soma.tuned-source.v1';

function readStorage(key: string): unknown {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null; // unreadable or blocked storage: nothing remembered
  }
}
function writeStorage(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Full or blocked storage: the choice holds for this visit.
  }
}

const sizeText = (bytes: number) => (bytes < 1000 ? `${bytes} bytes` : `${(bytes / 1000).toFixed(bytes < 10_000 ? 1 : 0)} KB`);

/** The model in use in a few words: "original", or "tuned on notes.txt, 4.0 KB, 2025-06-01". */
export function modelLabel(weights: WeightsState, source: TunedSource | null): string {
  if (weights.active !== 'tuned' || !weights.tuned) return 'original';
  return `tuned on ${tunedDescription(weights.tuned, source)}`;
}

/** A tuned copy in a few words: "notes.txt, 4.0 KB, 2025-06-01". */
export function tunedDescription(tuned: Provenance, source: TunedSource | null): string {
  const bytes = source?.bytes || Number(/(\d+) bytes/.exec(tuned.corpus ?? '')?.[1] ?? 0);
  return [source?.name ?? 'your text', bytes ? sizeText(bytes) : '', typeof tuned.created === 'string' ? tuned.created : ''].filter(Boolean).join(', ');
}

export class EngineState extends EventTarget {
  activity: Activity = 'idle';
  weights: WeightsState = { active: 'original', tuned: null };
  source: TunedSource | null = readStorage(SOURCE_KEY) as TunedSource | null;
  /** Said when a model switch was refused. */
  error?: string;

  constructor(readonly engine: Engine) {
    super();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Takes the engine for one activity; false when it is doing something else. */
  claim(activity: Exclude<Activity, 'idle'>): boolean {
    if (this.activity !== 'idle') return false;
    this.activity = activity;
    this.changed();
    return true;
  }

  release(activity: Activity): void {
    if (this.activity !== activity) return;
    this.activity = 'idle';
    this.changed();
  }

  /** Why `want` must wait now, or '' when it can go ahead. */
  reason(want: Want): string {
    return waitReason(this.activity, want);
  }

  get label(): string {
    return modelLabel(this.weights, this.source);
  }

  /** What the engine reports after a weights change; `remember`: the user chose it. */
  setWeights(weights: WeightsState, remember = false): void {
    this.weights = weights;
    if (remember) writeStorage(CHOICE_KEY, weights.active);
    this.changed();
  }

  setSource(source: TunedSource | null): void {
    this.source = source;
    writeStorage(SOURCE_KEY, source);
    this.changed();
  }

  /** The model the user chose last, on this device. */
  get remembered(): 'original' | 'tuned' {
    return readStorage(CHOICE_KEY) === 'tuned' ? 'tuned' : 'original';
  }

  /** Writes with the original or the tuned copy from now on, and remembers the choice. */
  async choose(which: 'original' | 'tuned'): Promise<void> {
    if (this.activity !== 'idle') return;
    try {
      this.weights = await this.engine.useWeights(which === 'tuned' ? 'use-tuned' : 'use-original');
      this.error = undefined;
      writeStorage(CHOICE_KEY, this.weights.active);
    } catch (e) {
      this.error = (e as Error).message;
    }
    this.changed();
  }

  /** Forgets the choice of the tuned copy (it was discarded). */
  forgetTuned(): void {
    writeStorage(CHOICE_KEY, 'original');
    this.setSource(null);
  }
}

/** Brings the engine's state into a component: the host updates whenever it changes. */
export class EngineStateController extends ChangeController<EngineState> {}
