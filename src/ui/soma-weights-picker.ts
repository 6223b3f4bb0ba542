// When the page cannot get soma.bin by itself: says why, and takes the file from a picker or a drop.
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { controls } from './theme';

export type WeightsFileEvent = CustomEvent<{ file: File }>;

@customElement('soma-weights-picker')
export class SomaWeightsPicker extends LitElement {
  /** Why a file is needed, or what was wrong with the last one. */
  @property() reason = '';
  @property({ type: Boolean }) busy = false;
  @state() private dragging = false;

  static override styles = [
    controls,
    css`
      :host {
        display: block;
      }
      .zone {
        padding: 1rem;
        border: 2px dashed var(--border-strong);
        border-radius: 0.75rem;
        background: var(--panel);
      }
      .zone.dragging {
        border-color: var(--accent);
        background: var(--accent-soft);
      }
      h2 {
        margin: 0 0 0.5rem;
        font-size: 1.1rem;
      }
      p {
        margin: 0 0 0.75rem;
      }
      .reason {
        overflow-wrap: anywhere;
      }
      input[type='file'] {
        max-width: 100%;
      }
      label {
        display: block;
        font-weight: 600;
        margin-bottom: 0.25rem;
      }
    `,
  ];

  private pick(file: File | undefined): void {
    if (file) this.dispatchEvent(new CustomEvent('weights-file', { detail: { file }, bubbles: true, composed: true }));
  }

  private onDragOver(e: DragEvent): void {
    e.preventDefault(); // without this the browser opens the dropped file instead
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  }

  private onDrop(e: DragEvent): void {
    e.preventDefault();
    this.dragging = false;
    this.pick(e.dataTransfer?.files[0]);
  }

  override render() {
    return html`<section
      class="zone ${this.dragging ? 'dragging' : ''}"
      aria-labelledby="title"
      @dragover=${this.onDragOver}
      @dragleave=${() => (this.dragging = false)}
      @drop=${this.onDrop}
    >
      <h2 id="title">The model's weights are needed</h2>
      <p class="reason" role="alert">${this.reason}</p>
      <label for="file">Choose soma.bin, or drop it anywhere in this box</label>
      <input id="file" type="file" accept=".bin,application/octet-stream" ?disabled=${this.busy} @change=${(e: Event) => this.pick((e.target as HTMLInputElement).files?.[0])} />
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-weights-picker': SomaWeightsPicker;
  }
}
