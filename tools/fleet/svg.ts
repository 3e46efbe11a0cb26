// A hand-written SVG line chart: connection attempts per second over time, one line per
// policy, on a log scale, with the hub's limit and the outage marked. No libraries.

export interface Series {
  name: string;
  /** Per second from t = 0. */
  values: Int32Array;
}

export interface ChartOptions {
  title: string;
  /** The window to draw, in seconds from t = 0, and where to put t = 0 on the axis. */
  fromS: number;
  toS: number;
  originS: number;
  /** The hub's limit (a dashed line) and a shaded span (the outage), in seconds from t = 0. */
  limit: number;
  shade?: [number, number];
  shadeLabel?: string;
}

const COLORS = ["#1b7837", "#2166ac", "#d6604d", "#8c510a", "#762a83", "#f1a340", "#4d4d4d"];
const W = 960;
const H = 460;
const LEFT = 92;
const RIGHT = 215;
const TOP = 40;
const BOTTOM = 50;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function attemptsChart(series: Series[], o: ChartOptions): string {
  const span = Math.max(1, o.toS - o.fromS);
  // At most ~1200 points per line: each point is the busiest second of its bucket.
  const bucket = Math.max(1, Math.ceil(span / 1200));
  let max = o.limit;
  for (const s of series) for (let t = o.fromS; t < o.toS && t < s.values.length; t++) if (s.values[t] > max) max = s.values[t];
  const decades = Math.max(1, Math.ceil(Math.log10(max + 1)));
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const x = (t: number) => LEFT + ((t - o.fromS) / span) * plotW;
  const y = (v: number) => TOP + plotH - (Math.log10(Math.max(1, v)) / decades) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(o.title)}</text>`);
  if (o.shade) {
    const a = Math.max(o.fromS, o.shade[0]);
    const b = Math.min(o.toS, o.shade[1]);
    if (b > a) {
      out.push(`<rect x="${x(a).toFixed(1)}" y="${TOP}" width="${(x(b) - x(a)).toFixed(1)}" height="${plotH}" fill="#eeeeee"/>`);
      if (o.shadeLabel) out.push(`<text x="${((x(a) + x(b)) / 2).toFixed(1)}" y="${TOP + 16}" text-anchor="middle" fill="#666">${esc(o.shadeLabel)}</text>`);
    }
  }
  // Axes and grid: decades on y, about eight ticks on x (minutes when the window is long).
  for (let k = 0; k <= decades; k++) {
    const yy = y(10 ** k).toFixed(1);
    out.push(`<line x1="${LEFT}" y1="${yy}" x2="${LEFT + plotW}" y2="${yy}" stroke="#dddddd"/>`);
    out.push(`<text x="${LEFT - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${(10 ** k).toLocaleString("en-US")}</text>`);
  }
  const minutes = span > 1200;
  const unit = minutes ? 60 : 1;
  const rough = span / unit / 8;
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 3600];
  const step = (steps.find((s) => s >= rough) ?? 3600) * unit;
  for (let t = Math.ceil((o.fromS - o.originS) / step) * step + o.originS; t <= o.toS; t += step) {
    const xx = x(t).toFixed(1);
    out.push(`<line x1="${xx}" y1="${TOP}" x2="${xx}" y2="${TOP + plotH}" stroke="#eeeeee"/>`);
    out.push(`<text x="${xx}" y="${TOP + plotH + 16}" text-anchor="middle">${Math.round((t - o.originS) / unit)}</text>`);
  }
  out.push(`<text x="${LEFT + plotW / 2}" y="${H - 10}" text-anchor="middle">${minutes ? "minutes" : "seconds"} from the disruption</text>`);
  out.push(`<text x="16" y="${TOP + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${TOP + plotH / 2})">CONNECT attempts per second (log)</text>`);
  out.push(`<rect x="${LEFT}" y="${TOP}" width="${plotW}" height="${plotH}" fill="none" stroke="#999999"/>`);
  // The limit.
  const ly = y(o.limit).toFixed(1);
  out.push(`<line x1="${LEFT}" y1="${ly}" x2="${LEFT + plotW}" y2="${ly}" stroke="#000000" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${LEFT + plotW + 6}" y="${ly}" dominant-baseline="middle">hub limit ${o.limit.toLocaleString("en-US")}/s</text>`);
  // Lines.
  series.forEach((s, i) => {
    const pts: string[] = [];
    for (let t = o.fromS; t < o.toS && t < s.values.length; t += bucket) {
      let v = 0;
      for (let k = t; k < t + bucket && k < s.values.length; k++) if (s.values[k] > v) v = s.values[k];
      pts.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    }
    const color = COLORS[i % COLORS.length];
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.4" points="${pts.join(" ")}"/>`);
    const ky = TOP + 40 + i * 20;
    out.push(`<line x1="${LEFT + plotW + 8}" y1="${ky}" x2="${LEFT + plotW + 30}" y2="${ky}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${LEFT + plotW + 36}" y="${ky}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  if (bucket > 1) out.push(`<text x="${LEFT + plotW + 8}" y="${TOP + plotH}" fill="#666">each point: busiest</text><text x="${LEFT + plotW + 8}" y="${TOP + plotH + 14}" fill="#666">second of ${bucket} s</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
