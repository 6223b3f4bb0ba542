// A small SVG line plot: validation nats/char against training tokens, for the README.

export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c'];
const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function svgPlot(series: Series[], title: string, xLabel: string, yLabel: string): string {
  const W = 640, H = 360, L = 60, R = 130, T = 30, B = 45;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="20" y="30">no data yet</text></svg>`;
  const xMax = Math.max(...all.map((p) => p[0]), 1);
  const yMin = Math.floor(Math.min(...all.map((p) => p[1])) * 10) / 10;
  const yMax = Math.ceil(Math.max(...all.map((p) => p[1])) * 10) / 10 || yMin + 0.1;
  const x = (v: number) => L + ((W - L - R) * v) / xMax;
  const y = (v: number) => T + ((H - T - B) * (yMax - v)) / Math.max(yMax - yMin, 1e-9);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = yMin + ((yMax - yMin) * i) / 5;
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
    const xv = (xMax * i) / 5;
    out.push(`<text x="${x(xv)}" y="${H - B + 16}" text-anchor="middle">${xv >= 1e6 ? `${(xv / 1e6).toFixed(1)}M` : `${Math.round(xv / 1e3)}K`}</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${s.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<text x="${W - R + 8}" y="${T + 16 + 18 * i}" fill="${c}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
