// The engine's side of the protocol: owns the Session, answers requests, streams chunks, and
// yields to its event loop between chunks so a stop request is seen mid-generation.
import { SomaFormatError, readSoma } from '../model/format';
import type { Backend } from '../model/kernels';
import { hasWasmSimd } from './detect';
import type { BackendChoice, ByteChunk, EngineStats, GenerateOptions, Request, Response } from './protocol';
import { Session, generateError } from './session';

const CHUNK_MS = 16; // post a chunk at least this often: about one frame
const CHUNK_BYTES = 256;

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
  private stopRequested = false;
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
          this.session = await Session.create(file, backend, backend === 'wasm-simd' ? await this.kernels() : undefined);
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

  private async generate(id: number, prompt: Uint8Array, options: GenerateOptions): Promise<void> {
    const session = this.need();
    if (this.running) throw new Error('already generating: stop first');
    const invalid = generateError(options);
    if (invalid) throw new RangeError(invalid); // before anything changes: a refused request resets nothing
    this.running = true;
    this.stopRequested = false;
    try {
      if (!options.continue) session.reset();
      const n = options.length;
      const gen = session.generate(prompt, options);
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
