// A first page over the engine: load the shipped weights, prompt, generate, stop.
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { BackendChoice, Engine, EngineStats, Loaded } from '../engine/protocol';
import { DEFAULT_SAMPLING } from '../model/sampler';
import { Utf8Stream, encodeUtf8 } from '../model/utf8';

@customElement('soma-app')
export class SomaApp extends LitElement {
  @property({ attribute: false }) engine?: Engine;
  @state() private loaded?: Loaded;
  @state() private status = 'loading weights…';
  @state() private output = '';
  @state() private running = false;
  @state() private stats?: EngineStats;
  private backend: BackendChoice = new URLSearchParams(location.search).get('backend') === 'js' ? 'js' : 'auto';

  static override styles = css`
    :host { display: block; max-width: 48rem; margin: 0 auto; padding: 1rem; font: 16px/1.5 system-ui, sans-serif; }
    textarea { width: 100%; box-sizing: border-box; font: inherit; }
    pre { white-space: pre-wrap; word-break: break-word; background: #8881; padding: 0.75rem; min-height: 6rem; }
    .stats { font: 13px ui-monospace, monospace; opacity: 0.8; }
  `;

  override async firstUpdated(): Promise<void> {
    try {
      const res = await fetch('soma.bin');
      if (!res.ok) throw new Error(`soma.bin: HTTP ${res.status}`);
      this.loaded = await this.engine!.load(await res.arrayBuffer(), this.backend);
      this.status = `ready: ${this.loaded.info.params.toLocaleString()} parameters on ${this.loaded.info.backend}`;
    } catch (e) {
      this.status = `could not load the model: ${(e as Error).message}`;
    }
  }

  private async generate(): Promise<void> {
    const prompt = (this.renderRoot.querySelector('#prompt') as HTMLTextAreaElement).value;
    this.running = true;
    this.output = prompt;
    const utf8 = new Utf8Stream();
    try {
      const gen = this.engine!.generate(encodeUtf8(prompt), { ...DEFAULT_SAMPLING, seed: (Math.random() * 2 ** 32) >>> 0, length: 400, continue: false });
      for await (const chunk of gen) {
        this.output += utf8.push(chunk.bytes);
        this.stats = chunk.stats;
      }
      this.output += utf8.end();
    } catch (e) {
      this.status = (e as Error).message;
    } finally {
      this.running = false;
    }
  }

  override render() {
    const s = this.stats;
    return html`
      <h1>SOMA</h1>
      <p role="status">${this.status}</p>
      <label for="prompt">Prompt</label>
      <textarea id="prompt" rows="3">The </textarea>
      <button id="generate" @click=${this.generate} ?disabled=${!this.loaded || this.running}>Generate</button>
      <button id="stop" @click=${() => this.engine!.stop()} ?disabled=${!this.running}>Stop</button>
      <pre id="output" aria-live="polite">${this.output}</pre>
      ${s ? html`<p class="stats">${s.tokPerSec.toFixed(0)} tok/s · ${s.msPerTok.toFixed(3)} ms/tok · ctx ${s.contextBytes} · mem ${(s.memoryBytes / 1e6).toFixed(1)} MB · ${this.loaded?.info.backend}</p>` : ''}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-app': SomaApp;
  }
}
