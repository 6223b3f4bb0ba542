// One colour per expert, shared by the output, its legend and the load sparkline. Hues step by the
// golden angle, so neighbouring experts differ and any count up to the format's 64 gets colours;
// lightness flips with the colour scheme (src/global.css sets --expert-l and --expert-c).
import { css, unsafeCSS } from 'lit';

export const MAX_EXPERTS = 64;

export const expertHue = (i: number): number => Math.round((i * 137.508 + 20) % 360);

const colour = (i: number): string => `oklch(var(--expert-l) var(--expert-c) ${expertHue(i)})`;

/**
 * `.colored .e3` paints text, `.swatch.e3` and `.bar.e3` paint a fill. Each rule names its hue
 * outright: a custom property set on every coloured run (`--hue`) made the browser recompute the
 * style of every run each frame a long output streamed, several times the cost of these rules.
 */
export const expertColors = css`
  ${unsafeCSS(
    Array.from(
      { length: MAX_EXPERTS },
      (_, i) => `.colored .e${i}{color:${colour(i)}}\n.swatch.e${i},.bar.e${i}{fill:${colour(i)};background:${colour(i)}}`,
    ).join('\n'),
  )}
`;
