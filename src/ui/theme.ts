// Styles every component shares: controls, focus, and the text-only helpers. The colours are the
// page's custom properties (src/global.css), which cross shadow roots and follow prefers-color-scheme.
import { css } from 'lit';

export const controls = css`
  :host {
    color: var(--fg);
  }
  button,
  input,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    min-height: 2.5rem;
    padding: 0.4rem 1rem;
    border: 1px solid var(--border-strong);
    border-radius: 0.5rem;
    background: var(--panel);
    cursor: pointer;
  }
  button:hover:not(:disabled) {
    border-color: var(--accent);
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: var(--accent-fg);
    font-weight: 600;
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }
  input,
  textarea {
    box-sizing: border-box;
    border: 1px solid var(--border-strong);
    border-radius: 0.4rem;
    background: var(--field);
    padding: 0.4rem 0.5rem;
  }
  input[aria-invalid='true'] {
    border-color: var(--danger);
    box-shadow: 0 0 0 1px var(--danger);
  }
  :focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  .hint {
    color: var(--danger);
    font-size: 0.875rem;
  }
  .muted {
    color: var(--muted);
  }
  /* Generated text: monospace, wrapped anywhere, in a field-coloured box. */
  .text-box {
    box-sizing: border-box;
    min-height: 8rem;
    margin: 0;
    padding: 0.75rem;
    border: 1px solid var(--border);
    border-radius: 0.75rem;
    background: var(--field);
    font: 0.95rem/1.55 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
`;

/** A mode's panel: its parts in one column, its notes and its errors. */
export const panel = css`
  :host {
    display: flex;
    flex-direction: column;
    gap: 0.75rem;
  }
  .muted {
    margin: 0;
  }
  .error {
    color: var(--danger);
    margin: 0;
    overflow-wrap: anywhere;
  }
`;
