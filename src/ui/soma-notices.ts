// Short lines about the app itself: cached for offline use, a new version waiting, and where the
// weights are kept. The reload button is the one action here.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ShellState } from '../boot/service-worker';
import type { StoreMode } from '../engine/protocol';
import type { PrefetchState } from './timelapse-prefetch';
import { controls } from './theme';

@customElement('soma-notices')
export class SomaNotices extends LitElement {
  @property({ attribute: false }) shell?: ShellState;
  @property({ attribute: false }) storage?: StoreMode;
  /** Whether the weights are in the page yet (storage news means nothing before). */
  @property({ type: Boolean }) weightsReady = false;
  /** Whether they are in IndexedDB, for the next visit. */
  @property({ type: Boolean }) weightsStored = false;
  @property() note = '';
  /** The time-lapse's frames for offline use; null where there is no time-lapse (file://). */
  @property({ attribute: false }) timelapse: PrefetchState | null = null;

  static override styles = [
    controls,
    css`
      :host {
        display: block;
        font-size: 0.875rem;
        min-height: 2rem; /* one badge's room, kept before the first arrives: the page below stays put */
      }
      ul {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        padding: 0.2rem 0.6rem;
        border-radius: 999px;
        border: 1px solid var(--border);
        background: var(--panel);
      }
      li.ok::before {
        content: '●';
        color: var(--ok);
      }
      li.warn::before {
        content: '●';
        color: var(--warn);
      }
      progress {
        width: 3rem;
      }
      li.update {
        border-color: var(--accent);
      }
      button {
        min-height: 2rem;
        padding: 0.15rem 0.75rem;
      }
    `,
  ];

  private reload(): void {
    this.dispatchEvent(new CustomEvent('apply-update', { bubbles: true, composed: true }));
  }

  private shellLine() {
    const s = this.shell;
    if (!s) return nothing;
    if (s.kind === 'update-waiting')
      return html`<li class="update">new version — <button class="primary" @click=${this.reload}>reload</button></li>`;
    // Offline needs the app shell cached, the weights stored, and the time-lapse's frames saved.
    if (s.kind === 'offline-ready' && this.weightsStored) {
      const t = this.timelapse;
      if (!t || t.kind === 'saved') return html`<li class="ok">ready to work offline</li>`;
      if (t.kind === 'saving')
        // Short enough for one line on a phone: a badge that wraps, then unwraps, moves the page.
        return html`<li class="warn">time-lapse for offline: ${t.done} of ${t.total} frames <progress max=${t.total} .value=${t.done} aria-label="Time-lapse frames saved for offline use"></progress></li>`;
      if (t.kind === 'no-room' || t.kind === 'failed') return html`<li class="warn">works offline, except the Time-lapse: ${t.reason}</li>`;
    }
    if (s.kind === 'unsupported') return html`<li class="warn">no offline copy: ${s.reason}</li>`;
    if (s.kind === 'failed') return html`<li class="warn" title=${s.reason}>no offline copy: the service worker could not be registered</li>`;
    return nothing;
  }

  private storageLine() {
    const m = this.storage;
    if (!this.weightsReady || !m) return nothing;
    if (m.kind === 'memory') return html`<li class="warn">weights kept in memory only: ${m.reason}; they will be needed again next visit</li>`;
    return nothing;
  }

  override render() {
    // The live region wraps the list: a role on the <ul> itself would take away its list semantics.
    return html`<div role="status" aria-label="App status">
      <ul>
        ${this.shellLine()} ${this.storageLine()} ${this.note ? html`<li class="warn">${this.note}</li>` : nothing}
      </ul>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-notices': SomaNotices;
  }
}
