// What each expert did over a scored text: its share of the bytes, its mean surprisal, the bytes
// it wins most often, and a few places where it won (the won byte in brackets). Text only.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ExpertView } from '../engine/protocol';
import { byteLabel, bytesText } from './byte-label';
import { expertColors } from './expert-colors';
import { controls } from './theme';

@customElement('soma-expert-view')
export class SomaExpertView extends LitElement {
  @property({ attribute: false }) view?: ExpertView;

  static override styles = [
    controls,
    expertColors,
    css`
      :host {
        display: block;
        overflow-x: auto;
      }
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 0.85rem;
      }
      th,
      td {
        text-align: left;
        vertical-align: top;
        padding: 0.3rem 0.5rem;
        border-bottom: 1px solid var(--border);
      }
      td.num {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      .ctx {
        font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .won {
        font-weight: 700;
      }
    `,
  ];

  override render() {
    const v = this.view;
    if (!v) return html``;
    return html`
      <table aria-label="Experts over the scored text">
        <thead>
          <tr><th>expert</th><th>share</th><th>bits/byte</th><th>wins most often</th><th>where it won</th></tr>
        </thead>
        <tbody class="colored">
          ${v.experts.map(
            (e, i) => html`<tr>
              <td><span class="e e${i}">${i}</span></td>
              <td class="num">${(e.share * 100).toFixed(1)}%</td>
              <td class="num">${e.wins ? e.meanBits.toFixed(2) : '—'}</td>
              <td>${e.topBytes.map((t) => `${byteLabel(t.byte)} ×${t.count}`).join(', ') || '—'}</td>
              <td class="ctx">${e.contexts.map((c) => html`<div>…${oneLine(bytesText(c.before))}<span class="won">[${byteLabel(c.byte)}]</span>${oneLine(bytesText(c.after))}…</div>`)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    `;
  }
}

const oneLine = (s: string): string => s.replace(/\n/g, '↵');

declare global {
  interface HTMLElementTagNameMap {
    'soma-expert-view': SomaExpertView;
  }
}
