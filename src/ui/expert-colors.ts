// One colour per expert, shared by the output, its legend and the load sparkline. Hues step by the
// golden angle, so neighbouring experts differ and any count up to the format's 64 gets colours;
// lightness flips with the colour scheme (src/global.css sets --expert-l and --expert-c).
import { css, unsafeCSS } from 'lit';

export const MAX_EXPERTS = 64;

export const expertHue = (i: number): number => Math.round((i * 137.508 + 20) % 360);

/** `.e3 { --hue: … }` for every expert; `.e` paints text, `.swatch` and `.bar` paint a fill. */
export const expertColors = css`
  ${unsafeCSS(Array.from({ length: MAX_EXPERTS }, (_, i) => `.e${i}{--hue:${expertHue(i)}}`).join('\n'))}
  .colored .e {
    color: oklch(var(--expert-l) var(--expert-c) var(--hue));
  }
  .swatch.e,
  .bar.e {
    fill: oklch(var(--expert-l) var(--expert-c) var(--hue));
    background: oklch(var(--expert-l) var(--expert-c) var(--hue));
  }
`;
