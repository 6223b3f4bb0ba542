// "Teach it": the user's text in, a fine-tune with live held-out nats/char (before and now), pause
// and resume; then original or tuned, reset, export and import. State comes from the TeachController.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { type EngineState, EngineStateController, tunedDescription } from './engine-state';
import { TeachController } from './teach-controller';
import type { TextSubmitEvent } from './soma-text-source';
import { controls, panel } from './theme';
import './soma-text-source';
import { grouped } from './units';

@customElement('soma-teach-panel')
export class SomaTeachPanel extends LitElement {
  @property({ attribute: false }) state?: EngineState;
  /** SHA-256 of the loaded original: the engine brings back the tuned copy kept for it, once per original. */
  @property() original = '';
  /** No model yet. */
  @property({ type: Boolean }) blocked = false;
  private readonly teach = new TeachController(this, () => (this.state && this.original ? { state: this.state } : undefined));
  private readonly stateView = new EngineStateController(this);
  private restored = '';

  static override styles = [
    controls,
    panel,
    css`
      .side-by-side {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr));
        gap: 0.75rem;
        margin: 0;
      }
      .side-by-side figure {
        margin: 0;
      }
      .side-by-side figcaption {
        font-weight: 600;
        margin-bottom: 0.25rem;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
      .figures {
        margin: 0;
        font-size: 1.05rem;
        font-variant-numeric: tabular-nums;
      }
      fieldset {
        border: 1px solid var(--border);
        border-radius: 0.5rem;
        display: flex;
        flex-wrap: wrap;
        gap: 1rem;
      }
    `,
  ];

  protected override willUpdate(): void {
    this.stateView.follow(this.state);
    // Once per original: bring back a tuned copy from an earlier visit.
    if (this.state && this.original && this.restored !== this.original) {
      this.restored = this.original;
      void this.teach.restore();
    }
  }

  private progressLine() {
    const p = this.teach.progress;
    const phase = this.teach.phase;
    if (phase === 'starting') return html`<p class="figures" role="status">Scoring the held-out part…</p>`;
    if (!p) return nothing;
    const what = { idle: 'Stopped', starting: '', teaching: 'Teaching', pausing: 'Pausing', paused: 'Paused' }[phase];
    return html`<p class="figures" role="status">
      ${what}: held-out nats/char <strong>${p.before.toFixed(4)}</strong> before, <strong>${p.now.toFixed(4)}</strong> now · step ${grouped(p.step)} ·
      ${(p.tokens / 1000).toFixed(0)} KB read · ${p.seconds.toFixed(0)} s
    </p>`;
  }

  /** What teaching changed: the original's and the tuned copy's writing from the same prompt and seed. */
  private sideBySide(s: { prompt: string; original: string; tuned: string }) {
    return html`<section aria-label="What teaching changed">
      <div class="side-by-side">
        <figure><figcaption>Original</figcaption><pre class="text-box">${s.prompt}${s.original}</pre></figure>
        <figure><figcaption>Tuned</figcaption><pre class="text-box">${s.prompt}${s.tuned}</pre></figure>
      </div>
      <p class="muted">Both continue “${s.prompt}” with the same seed, at temperature 0.8.</p>
    </section>`;
  }

  private onImport(e: Event): void {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void this.teach.importFile(file);
  }

  override render() {
    const t = this.teach;
    const busy = t.phase === 'starting' || t.phase === 'teaching' || t.phase === 'pausing';
    // Another mode has the engine: say which, and how to free it.
    const other = busy ? '' : (this.state?.reason('teach') ?? '');
    const tuned = t.weights.tuned;
    return html`
      <p class="muted">
        The model learns your text in this tab: it tunes a copy of itself, and the last 10% of your text is kept aside to check that it
        improves. Teaching pauses while the tab is hidden.
      </p>
      <soma-text-source
        label="Text to teach"
        action="Teach"
        placeholder="Paste a few KB of your own writing, or open a file."
        ?busy=${busy}
        ?blocked=${this.blocked || !!other}
        .reason=${other}
        @text-submit=${(e: TextSubmitEvent) => void t.start(e.detail.text, e.detail.name)}
      >
        ${t.phase === 'teaching' ? html`<button @click=${() => t.pause()}>Pause</button>` : nothing}
        ${t.phase === 'paused' && t.progress ? html`<button @click=${() => void t.resume()} ?disabled=${this.blocked || !!other}>Resume</button>` : nothing}
      </soma-text-source>
      ${this.progressLine()} ${t.error ? html`<p class="error" role="alert">${t.error}</p>` : nothing} ${t.note ? html`<p class="muted">${t.note}</p>` : nothing}
      ${t.samples && t.phase === 'paused' ? this.sideBySide(t.samples) : nothing}
      <fieldset ?disabled=${busy || this.blocked || !!other}>
        <legend>Model in use</legend>
        <label><input type="radio" name="model" .checked=${t.weights.active === 'original'} @change=${() => void t.use('original')} /> original</label>
        <label><input type="radio" name="model" .checked=${t.weights.active === 'tuned'} ?disabled=${!tuned} @change=${() => void t.use('tuned')} /> tuned</label>
      </fieldset>
      ${tuned ? html`<p class="muted">Tuned: ${tuned.method.split(', starting from')[0]}; ${grouped(tuned.steps)} steps. Taught on ${tunedDescription(tuned, this.state?.source ?? null)}.</p>` : nothing}
      <div class="row">
        <button @click=${() => void t.reset()} ?disabled=${!tuned || busy || !!other}>Reset (discard tuned)</button>
        <button @click=${() => void t.exportFile()} ?disabled=${!tuned || busy}>Export tuned soma.bin</button>
        <label>Import a tuned soma.bin: <input type="file" accept=".bin" aria-label="Import a tuned soma.bin" ?disabled=${busy || !!other} @change=${this.onImport} /></label>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-teach-panel': SomaTeachPanel;
  }
}
