// The training time-lapse as the page sees it: timelapse/index.json, then for the frame the user
// picks, that frame's weights in an engine of its own and a sample from the same prompt and seed,
// so spelling and words can be watched as they emerge. Samples are kept per frame and request;
// picking another frame mid-sample stops it. Talks to the engine only through the protocol.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type BackendChoice, DEFAULT_SAMPLING, encodeUtf8, type Engine, type GenerateOptions, parseTimelapseIndex, type TimelapseIndex, Utf8Stream } from '../engine/protocol';
import type { UiSettings } from './settings';
import { frameUrl } from './timelapse-prefetch';

/** Bytes generated at each frame: enough to read, short enough to play through quickly. */
export const TIMELAPSE_BYTES = 240;

export interface TimelapseDeps {
  engine: Engine; // an engine of its own: the page's model stays loaded in the other
  backend: BackendChoice;
  /** The bytes of a file beside the page, e.g. 'timelapse/index.json'; rejects with a reason. */
  fetchFile: (path: string) => Promise<Uint8Array>;
}

/** What a sample is generated from: the same for every frame. */
export interface SampleRequest {
  prompt: string;
  seed: number;
  settings: UiSettings;
}

export interface FrameSample {
  text: string;
  done: boolean;
  error?: string;
}

const keyOf = (frame: number, r: SampleRequest) => JSON.stringify([frame, r.prompt, r.seed, r.settings.temperature, r.settings.topK, r.settings.topP, r.settings.repeatPenalty]);

export class TimelapseController implements ReactiveController {
  index?: TimelapseIndex;
  error?: string; // the index could not be had
  selected = 0;
  playing = false;
  private opening?: Promise<void>;
  private readonly samples = new Map<string, FrameSample>();
  private want: { frame: number; request: SampleRequest } | null = null;
  private pumping = false;
  private generating: string | null = null; // the key of the sample being generated
  private loadedFrame = -1;
  private playId = 0; // the Play loop that may go on; an older one stops at its next turn

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly deps: () => TimelapseDeps | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.playing = false;
    this.want = null;
    if (this.generating) this.deps()?.engine.stop();
  }

  /** Reads the index, once it succeeds; after a failure, the next call tries again. */
  open(): Promise<void> {
    this.opening ??= (async () => {
      const d = this.deps();
      if (!d) return;
      this.error = undefined;
      try {
        const bytes = await d.fetchFile('timelapse/index.json');
        this.index = parseTimelapseIndex(JSON.parse(new TextDecoder().decode(bytes)));
      } catch (e) {
        this.error = `The time-lapse is not available here: ${(e as Error).message}`;
        this.opening = undefined;
      }
      this.host.requestUpdate();
    })();
    return this.opening;
  }

  /** The sample of a frame for a request, as far as it has come. */
  sample(frame: number, request: SampleRequest): FrameSample | undefined {
    return this.samples.get(keyOf(frame, request));
  }

  /** Shows a frame: its sample is generated unless it is already there (a failed one is tried again). */
  select(frame: number, request: SampleRequest): Promise<void> {
    if (!this.index || frame < 0 || frame >= this.index.frames.length) return Promise.resolve();
    const key = keyOf(frame, request);
    if (this.samples.get(key)?.error) this.samples.delete(key);
    this.selected = frame;
    this.want = { frame, request };
    this.host.requestUpdate();
    if (this.generating && this.generating !== key) this.deps()?.engine.stop(); // the pump moves on to the new one
    return this.pump();
  }

  /** Every frame in turn, from the first, each sample to its end, for the request as it is at each frame. */
  async play(request: () => SampleRequest | null): Promise<void> {
    if (!this.index || this.playing) return;
    const id = ++this.playId;
    const going = () => this.playing && this.playId === id;
    this.playing = true;
    this.host.requestUpdate();
    for (let f = 0; f < this.index.frames.length && going(); f++) {
      const r = request();
      if (!r) break;
      await this.select(f, r);
      if (going() && f + 1 < this.index.frames.length) await new Promise((done) => setTimeout(done, 700));
    }
    if (this.playId === id) {
      this.playing = false;
      this.host.requestUpdate();
    }
  }

  /** Stops moving on; the frame on show finishes its sample. */
  stopPlaying(): void {
    this.playing = false;
    this.host.requestUpdate();
  }

  /** Works through `want` until it is met; the one loop that touches the engine. */
  private async pump(): Promise<void> {
    if (this.pumping) return this.waitIdle();
    this.pumping = true;
    try {
      while (this.want) {
        const { frame, request } = this.want;
        const key = keyOf(frame, request);
        if (this.samples.get(key)?.done) {
          this.want = null; // met (no await since it was read: it is still this one)
          continue;
        }
        await this.generate(frame, request, key);
      }
    } finally {
      this.pumping = false;
      this.idle.forEach((r) => r());
      this.idle = [];
    }
  }

  private idle: (() => void)[] = [];
  private waitIdle(): Promise<void> {
    return new Promise((r) => this.idle.push(r));
  }

  private async generate(frame: number, request: SampleRequest, key: string): Promise<void> {
    const d = this.deps();
    const f = this.index!.frames[frame];
    if (!d) {
      this.want = null;
      return;
    }
    const sample: FrameSample = { text: '', done: false };
    this.samples.set(key, sample);
    this.host.requestUpdate();
    try {
      if (this.loadedFrame !== frame) {
        this.loadedFrame = -1;
        const bytes = await d.fetchFile(frameUrl(f));
        const loaded = await d.engine.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, d.backend);
        if (loaded.info.sha256 !== f.sha256) throw new Error(`frame ${f.file} is not the one the index names (its SHA-256 differs)`);
        this.loadedFrame = frame;
      }
      if (this.want?.frame !== frame) return void this.samples.delete(key); // moved on while it loaded
      const { settings } = request;
      const options: GenerateOptions = {
        temperature: settings.temperature,
        topK: settings.topK,
        topP: settings.topP,
        repeatPenalty: settings.repeatPenalty,
        repeatWindow: DEFAULT_SAMPLING.repeatWindow,
        length: TIMELAPSE_BYTES,
        seed: request.seed,
        continue: false,
      };
      const utf8 = new Utf8Stream();
      this.generating = key;
      const gen = d.engine.generate(encodeUtf8(request.prompt), options);
      for (;;) {
        const next = await gen.next();
        if (next.done) {
          if (next.value.reason === 'stopped') return void this.samples.delete(key); // a partial sample is not kept
          break;
        }
        sample.text += utf8.push(next.value.bytes);
        this.host.requestUpdate();
      }
      sample.text += utf8.end();
      sample.done = true;
    } catch (e) {
      sample.error = (e as Error).message;
      sample.done = true;
    } finally {
      this.generating = null;
      this.host.requestUpdate();
    }
  }
}
