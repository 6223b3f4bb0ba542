// Score mode: the user's text in, a surprisal heatmap, one position's details, the total nats/char,
// and what every expert did. State comes from the ScoreController; the engine is given.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type EngineState, EngineStateController } from './engine-state';
import { ScoreController } from './score-controller';
import type { BytePickEvent } from './soma-heatmap';
import type { TextSubmitEvent } from './soma-text-source';
import { controls, panel } from './theme';
import './soma-byte-details';
import './soma-expert-view';
import './soma-heatmap';
import './soma-text-source';
import { grouped } from './units';

@customElement('soma-score-panel')
export class SomaScorePanel extends LitElement {
  @property({ attribute: false }) state?: EngineState;
  /** No model yet. */
  @property({ type: Boolean }) blocked = false;
  @property({ type: Number }) experts = 16;
  @state() private picked = -1;
  private readonly scorer = new ScoreController(this, () => this.state);
  private readonly stateView = new EngineStateController(this);

  static override styles = [
    controls,
    panel,
    css`
      .total {
        margin: 0;
        font-size: 1.05rem;
      }
      h2 {
        font-size: 1rem;
        margin: 0.5rem 0 0;
      }
    `,
  ];

  protected override willUpdate(): void {
    this.stateView.follow(this.state);
  }

  /** Stops a scoring under way (Escape). */
  stop(): void {
    this.scorer.stop();
  }

  /** Scores text given from outside (e.g. the generated text). */
  scoreText(text: string): void {
    this.picked = -1;
    void this.scorer.score(text);
  }

  private totalLine() {
    const v = this.scorer.view;
    if (!v) return nothing;
    const seen = v.chunks.reduce((n, c) => n + c.bytes.length, 0);
    if (!v.done) return html`<p class="total" role="status">Scoring… ${grouped(seen)} of ${grouped(v.total)} bytes</p>`;
    const d = v.done;
    return html`<p class="total" role="status">
      <strong>${d.natsPerChar.toFixed(4)} nats/char</strong> over ${grouped(d.chars)} characters (${grouped(d.bytes)} bytes, ${(d.ms / 1000).toFixed(1)} s)${d.reason === 'stopped' ? ' — stopped' : ''}
    </p>`;
  }

  override render() {
    const s = this.scorer;
    return html`
      <soma-text-source
        label="Text to score"
        action="Score"
        placeholder="Paste or type any text, or open a file."
        ?busy=${s.running}
        ?blocked=${this.blocked || (!s.running && !!this.state?.reason('score'))}
        .reason=${s.running ? '' : (this.state?.reason('score') ?? '')}
        @text-submit=${(e: TextSubmitEvent) => this.scoreText(e.detail.text)}
      >
        ${s.running ? html`<button @click=${() => s.stop()}>Stop</button>` : nothing}
      </soma-text-source>
      ${s.error ? html`<p class="error" role="alert">${s.error}</p>` : nothing} ${this.totalLine()}
      <soma-heatmap .view=${s.view} @byte-pick=${(e: BytePickEvent) => (this.picked = e.detail.index)}></soma-heatmap>
      <soma-byte-details .view=${s.view} .index=${this.picked} .experts=${this.experts}></soma-byte-details>
      ${s.view?.done ? html`<h2>The experts over this text</h2><soma-expert-view .view=${s.view.done.experts}></soma-expert-view>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-score-panel': SomaScorePanel;
  }
}
