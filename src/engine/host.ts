// The engine's side of the protocol: owns the Session, answers requests, streams chunks, and
// yields to its event loop between chunks so a stop request is seen mid-generation.
import { type Provenance, type SomaFile, SomaFormatError, readSoma, writeSoma } from '../model/format';
import { type Backend, jsKernels } from '../model/kernels';
import { sameConfig } from '../model/config';
import { logSumExp } from '../model/sampler';
import { countChars } from '../model/utf8';
import { FineTune, fineTuneTextError } from '../train/finetune';
import type { ShardEngine } from '../train/spsa';
import { hasWasmSimd } from './detect';
import { ExpertTally } from './expert-view';
import { type BackendChoice, type ByteChunk, type EngineStats, type GenerateOptions, type GenerateRequest, type Request, type Response, type ScoreChunk, type SideBySide, TOP_BYTES, type WeightsState } from './protocol';
import { Session, generateError } from './session';
import { wasmKernels } from './wasm';

const CHUNK_MS = 16; // post a chunk at least this often: about one frame
const CHUNK_BYTES = 256;
/** Prompt bytes fed per slice before the engine looks for a stop and says how far it has read. */
const PROMPT_SLICE_BYTES = 512;
const SCORE_CHUNK_BYTES = 4096;
const TEACH_EVAL_MS = 1500; // re-score the held-out part this often while teaching
const COMPARE_MAX_BYTES = 2000; // a side-by-side sample is read at a glance
export const MAX_SCORE_BYTES = 4 * 1024 * 1024;

const yieldToLoop = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof MessageChannel === 'function') {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    } else setTimeout(resolve, 0);
  });

export function pickBackend(choice: BackendChoice, simd = hasWasmSimd()): Backend {
  if (choice === 'js') return 'js';
  if (choice === 'wasm-simd' && !simd) throw new Error('this browser has no WebAssembly SIMD: choose the JS backend');
  return simd ? 'wasm-simd' : 'js';
}

export class EngineHost {
  private session: Session | null = null;
  private file: SomaFile | null = null; // the loaded (original) model; its weights are never changed
  private tuned: { theta: Float32Array; provenance: Provenance } | null = null;
  private active: 'original' | 'tuned' = 'original';
  private finetune: FineTune | null = null; // the run a 'teach' with no text resumes
  private sideBySide: Session | null = null; // writes the 'compare' samples, so the page's own context stays as it is
  private stopRequested = false;
  private pauseRequested = false;
  private running = false;

  constructor(
    private readonly post: (r: Response, transfer?: Transferable[]) => void,
    private readonly kernels: () => Promise<WebAssembly.Module>,
  ) {}

  async handle(req: Request): Promise<void> {
    try {
      switch (req.type) {
        case 'load': {
          const file = await readSoma(req.weights);
          const backend = pickBackend(req.backend);
          if (this.running) throw new Error('busy: stop or pause first');
          this.session = await Session.create(file, backend, backend === 'wasm-simd' ? await this.kernels() : undefined);
          this.file = { ...file, weights: file.weights.slice() };
          this.tuned = null;
          this.finetune = null;
          this.sideBySide = null;
          this.active = 'original';
          this.post({ id: req.id, type: 'loaded', loaded: { info: this.session.info, memoryBytes: this.session.memoryBytes() } });
          break;
        }
        case 'generate':
          await this.generate(req.id, req.prompt, req.options);
          break;
        case 'stop':
          this.stopRequested = this.running;
          this.post({ id: req.id, type: 'ok' });
          break;
        case 'pause':
          this.pauseRequested = this.running;
          this.post({ id: req.id, type: 'ok' });
          break;
        case 'score':
          await this.score(req.id, req.text);
          break;
        case 'teach':
          await this.teach(req.id, req.text);
          break;
        case 'weights':
          this.post({ id: req.id, type: 'weights-state', weights: this.useWeights(req.action) });
          break;
        case 'load-tuned':
          this.post({ id: req.id, type: 'weights-state', weights: await this.loadTuned(req.weights) });
          break;
        case 'export-tuned': {
          if (!this.tuned) throw new Error('there is no tuned model to export');
          const bytes = await writeSoma(this.need().info.config, this.tuned.theta, this.tuned.provenance);
          this.post({ id: req.id, type: 'file', bytes }, [bytes.buffer]);
          break;
        }
        case 'compare': {
          const samples = await this.compare(req.prompt, req.options);
          this.post({ id: req.id, type: 'compared', samples }, [samples.original.buffer, samples.tuned.buffer]);
          break;
        }
        case 'reset':
          if (this.running) throw new Error('cannot reset while generating: stop first');
          this.need().reset();
          this.post({ id: req.id, type: 'ok' });
          break;
        default:
          throw new Error(`unknown request ${JSON.stringify((req as { type: unknown }).type)}`);
      }
    } catch (e) {
      const message = e instanceof SomaFormatError || e instanceof RangeError ? e.message : `engine error: ${(e as Error).message}`;
      this.post({ id: req.id, type: 'error', message });
    }
  }

  private need(): Session {
    if (!this.session) throw new Error('no model loaded');
    return this.session;
  }

  private weightsState(): WeightsState {
    return { active: this.active, tuned: this.tuned?.provenance ?? null };
  }

  private useWeights(action: 'use-original' | 'use-tuned' | 'discard-tuned'): WeightsState {
    const session = this.need();
    if (this.running) throw new Error('busy: stop or pause first');
    if (action === 'discard-tuned') {
      this.tuned = null;
      this.finetune = null;
    }
    if (action === 'use-tuned' && !this.tuned) throw new Error('there is no tuned model: teach it first');
    this.active = action === 'use-tuned' ? 'tuned' : 'original';
    session.setWeights(this.active === 'tuned' ? this.tuned!.theta : this.file!.weights);
    session.reset(); // a context read by other weights means nothing to these
    return this.weightsState();
  }

  private async loadTuned(bytes: ArrayBuffer): Promise<WeightsState> {
    const session = this.need();
    if (this.running) throw new Error('busy: stop or pause first');
    const file = await readSoma(bytes);
    if (!sameConfig(file.config, session.info.config)) throw new RangeError('this soma.bin has another shape than the loaded model: it cannot be its tuned copy');
    this.tuned = { theta: file.weights.slice(), provenance: file.provenance };
    this.finetune = null;
    return this.useWeights('use-tuned');
  }

  /** Scores text from a fresh state in chunks, yielding between them, with the details of every byte. */
  private async score(id: number, text: Uint8Array): Promise<void> {
    const session = this.need();
    if (this.running) throw new Error('busy: stop or pause first');
    if (text.length === 0) throw new RangeError('nothing to score: the text is empty');
    if (text.length > MAX_SCORE_BYTES) throw new RangeError(`the text is ${text.length} bytes: scoring takes at most ${MAX_SCORE_BYTES}`);
    this.running = true;
    this.stopRequested = false;
    try {
      session.reset();
      const K = session.info.config.experts;
      const tally = new ExpertTally(K);
      const t0 = performance.now();
      let nats = 0;
      let at = 0;
      while (at < text.length && !this.stopRequested) {
        const cap = Math.min(SCORE_CHUNK_BYTES, text.length - at);
        const c: ScoreChunk = { start: at, bytes: text.slice(at, at + cap), bits: new Float32Array(cap), experts: new Uint8Array(cap), topBytes: new Uint8Array(cap * TOP_BYTES), topProbs: new Float32Array(cap * TOP_BYTES), router: new Float32Array(cap * K) };
        const tc = performance.now();
        let n = 0;
        const onByte = (_: number, byteNats: number, expert: number) => {
          const bits = byteNats / Math.LN2;
          c.bits[n] = bits;
          c.experts[n] = expert;
          c.router.set(session.routerScores, n * K);
          topBytes(session.logits, c.topBytes, c.topProbs, n * TOP_BYTES);
          tally.add(at + n, text[at + n], expert, bits);
        };
        while (n < cap) {
          nats += session.score(text.subarray(at + n, at + n + 1), onByte);
          n++;
          if ((n & 15) === 0 && performance.now() - tc >= CHUNK_MS) break;
        }
        const chunk: ScoreChunk = { start: at, bytes: c.bytes.slice(0, n), bits: c.bits.slice(0, n), experts: c.experts.slice(0, n), topBytes: c.topBytes.slice(0, n * TOP_BYTES), topProbs: c.topProbs.slice(0, n * TOP_BYTES), router: c.router.slice(0, n * K) };
        this.post({ id, type: 'scored', chunk }, [chunk.bytes.buffer, chunk.bits.buffer, chunk.experts.buffer, chunk.topBytes.buffer, chunk.topProbs.buffer, chunk.router.buffer]);
        at += n;
        await yieldToLoop();
      }
      const chars = countChars(text.subarray(0, at));
      this.post({ id, type: 'score-done', done: { reason: at < text.length ? 'stopped' : 'length', bytes: at, chars, nats, natsPerChar: chars ? nats / chars : 0, ms: performance.now() - t0, experts: tally.summary(text.subarray(0, at)) } });
    } finally {
      this.running = false;
      this.stopRequested = false;
    }
  }

  /** A fine-tune of the original weights on text, on this engine's backend. */
  private async newFineTune(text: Uint8Array): Promise<FineTune> {
    const session = this.need();
    const file = this.file!;
    const floats = FineTune.shardFloats(file.config);
    let engine: ShardEngine;
    if (session.backend === 'wasm-simd') {
      const k = await wasmKernels(await this.kernels(), floats);
      engine = { kernels: k, base: k.base };
    } else engine = { kernels: jsKernels(new Float32Array(floats)), base: 0 };
    const scorer = await Session.create(file, session.backend, session.backend === 'wasm-simd' ? await this.kernels() : undefined);
    return new FineTune(file.config, file.weights, text, engine, scorer);
  }

  /** Teaches (or resumes teaching) until a pause or stop request; the result becomes the tuned copy. */
  private async teach(id: number, text: Uint8Array | null): Promise<void> {
    this.need();
    if (this.running) throw new Error('busy: stop or pause first');
    if (text) {
      const bad = fineTuneTextError(text.length);
      if (bad) throw new RangeError(bad);
    } else if (!this.finetune) throw new Error('nothing to resume: give a text to teach');
    this.running = true;
    this.stopRequested = false;
    this.pauseRequested = false;
    try {
      if (text) {
        this.finetune = null;
        this.finetune = await this.newFineTune(text);
        this.post({ id, type: 'progress', progress: { ...this.finetune.progress } });
      }
      const ft = this.finetune!;
      await ft.run({
        shouldStop: () => this.pauseRequested || this.stopRequested,
        yieldTo: yieldToLoop,
        evalEveryMs: TEACH_EVAL_MS,
        onProgress: (progress) => this.post({ id, type: 'progress', progress }),
      });
      this.tuned = { theta: ft.theta.slice(), provenance: ft.provenance(this.file!.provenance, 'in the browser tab') };
      if (this.active === 'tuned') this.need().setWeights(this.tuned.theta);
      this.post({ id, type: 'paused', progress: { ...ft.progress }, weights: this.weightsState() });
    } finally {
      this.running = false;
      this.stopRequested = false;
      this.pauseRequested = false;
    }
  }

  /** The original's and the tuned copy's samples, written by a session of their own from a fresh state. */
  private async compare(prompt: Uint8Array, options: GenerateRequest): Promise<SideBySide> {
    const main = this.need();
    if (!this.tuned) throw new Error('there is no tuned model: teach it first');
    if (this.running) throw new Error('busy: stop or pause first');
    const invalid = generateError(options);
    if (invalid) throw new RangeError(invalid);
    if (options.length > COMPARE_MAX_BYTES) throw new RangeError(`a side-by-side sample is at most ${COMPARE_MAX_BYTES} bytes`);
    const backend = main.info.backend;
    this.sideBySide ??= await Session.create(this.file!, backend, backend === 'wasm-simd' ? await this.kernels() : undefined);
    const s = this.sideBySide;
    const sample = (weights: Float32Array) => {
      s.setWeights(weights);
      s.reset();
      return Uint8Array.from(s.generate(prompt, options), (ev) => ev.byte);
    };
    return { original: sample(this.file!.weights), tuned: sample(this.tuned.theta) };
  }

  private async generate(id: number, prompt: Uint8Array, options: GenerateOptions): Promise<void> {
    const session = this.need();
    if (this.running) throw new Error('busy: stop or pause first');
    const invalid = generateError(options);
    if (invalid) throw new RangeError(invalid); // before anything changes: a refused request resets nothing
    this.running = true;
    this.stopRequested = false;
    try {
      if (!options.continue) session.reset();
      // A long prompt is read in slices, with progress and a chance to stop between them. The
      // generator then reads the prompt's tail itself, so its sampler sees the bytes its repeat
      // penalty looks back on, exactly as if it had read the whole prompt.
      const tail = Math.max(options.repeatWindow, 1);
      let read = 0;
      for (let t0 = performance.now(); read < prompt.length - tail && !this.stopRequested; ) {
        const end = Math.min(read + PROMPT_SLICE_BYTES, prompt.length - tail);
        session.score(prompt.subarray(read, end));
        read = end;
        if (performance.now() - t0 >= CHUNK_MS) {
          this.post({ id, type: 'reading', read, total: prompt.length });
          await yieldToLoop();
          t0 = performance.now();
        }
      }
      if (this.stopRequested) {
        this.post({ id, type: 'done', reason: 'stopped', stats: { generated: 0, ms: 0, tokPerSec: 0, msPerTok: 0, contextBytes: session.contextBytes, memoryBytes: session.memoryBytes() } });
        return;
      }
      const n = options.length;
      const gen = session.generate(prompt.subarray(read), options);
      const stats: EngineStats = { generated: 0, ms: 0, tokPerSec: 0, msPerTok: 0, contextBytes: 0, memoryBytes: session.memoryBytes() };
      let genMs = 0;
      let first = true;
      while (stats.generated < n && !this.stopRequested) {
        const cap = Math.min(CHUNK_BYTES, n - stats.generated);
        const chunk: ByteChunk = { bytes: new Uint8Array(cap), experts: new Uint8Array(cap), entropyBits: new Float32Array(cap), probs: new Float32Array(cap), stats };
        let k = 0;
        const t0 = performance.now();
        let tFirst = t0;
        while (k < cap) {
          const ev = gen.next();
          if (ev.done) break;
          if (first) {
            tFirst = performance.now(); // the prompt is fed before the first byte: not generation time
            first = false;
          }
          chunk.bytes[k] = ev.value.byte;
          chunk.experts[k] = ev.value.expert;
          chunk.entropyBits[k] = ev.value.entropyBits;
          chunk.probs[k] = ev.value.prob;
          k++;
          if (performance.now() - t0 >= CHUNK_MS) break;
        }
        genMs += performance.now() - tFirst;
        stats.generated += k;
        stats.ms = genMs;
        stats.tokPerSec = genMs > 0 ? (stats.generated * 1000) / genMs : 0;
        stats.msPerTok = stats.generated > 0 ? genMs / stats.generated : 0;
        stats.contextBytes = session.contextBytes;
        const out = { ...chunk, bytes: chunk.bytes.subarray(0, k), experts: chunk.experts.subarray(0, k), entropyBits: chunk.entropyBits.subarray(0, k), probs: chunk.probs.subarray(0, k), stats: { ...stats } };
        this.post({ id, type: 'chunk', chunk: out });
        await yieldToLoop();
      }
      gen.return();
      this.post({ id, type: 'done', reason: this.stopRequested ? 'stopped' : 'length', stats: { ...stats } });
    } finally {
      this.running = false;
      this.stopRequested = false;
    }
  }
}

/** Writes the TOP_BYTES likeliest bytes of a logits row (and their probabilities) at `at`, likeliest first. */
function topBytes(logits: Float32Array, bytes: Uint8Array, probs: Float32Array, at: number): void {
  const lse = logSumExp(logits, 0, 256);
  let filled = 0;
  for (let b = 0; b < 256; b++) {
    const v = logits[b];
    if (filled === TOP_BYTES && v <= logits[bytes[at + TOP_BYTES - 1]]) continue;
    let i = filled < TOP_BYTES ? filled++ : TOP_BYTES - 1;
    while (i > 0 && logits[bytes[at + i - 1]] < v) {
      bytes[at + i] = bytes[at + i - 1];
      i--;
    }
    bytes[at + i] = b;
  }
  for (let i = 0; i < TOP_BYTES; i++) probs[at + i] = Math.exp(logits[bytes[at + i]] - lse);
}
