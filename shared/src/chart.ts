/**
 * Tiny SVG line charts for bench results: no browser, no dependency, diff-friendly.
 * One SVG can hold several panels stacked vertically, sharing the x axis.
 */
export interface Series {
  name: string;
  points: [x: number, y: number][];
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
  /** Vertical marker lines, e.g. the size a rule of thumb predicts. */
  markers?: { x: number; label: string }[];
  yLog?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  panels: Panel[];
  xLog?: boolean;
  width?: number;
  panelHeight?: number;
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
const MARGIN = { left: 70, right: 160, top: 34, bottom: 42 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(min: number, max: number, count = 5): number[] {
  if (max <= min) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min && v <= max) ticks.push(v);
    }
  }
  return ticks;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : `${Number(v.toPrecision(3))}`;

export function renderLineChart({
  title,
  xLabel,
  panels,
  xLog = false,
  width = 760,
  panelHeight = 260,
}: ChartOptions): string {
  const allX = panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)));
  const xMin = Math.min(...allX);
  const xMax = Math.max(...allX);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = panelHeight - MARGIN.top - MARGIN.bottom;
  const tx = (x: number) =>
    MARGIN.left +
    (xLog
      ? (Math.log2(x) - Math.log2(xMin)) / (Math.log2(xMax) - Math.log2(xMin) || 1)
      : (x - xMin) / (xMax - xMin || 1)) *
      plotW;
  const xTicks = xLog ? [...new Set(allX)].sort((a, b) => a - b) : niceTicks(xMin, xMax);

  const parts: string[] = [];
  const height = 30 + panels.length * panelHeight;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  );

  panels.forEach((panel, i) => {
    const top = 30 + i * panelHeight;
    const ys = panel.series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
    const yMinRaw = panel.yLog ? Math.min(...ys.filter((y) => y > 0)) : 0;
    const yMaxRaw = Math.max(...ys, panel.yLog ? yMinRaw * 10 : 1e-9);
    const yTicks = panel.yLog ? logTicks(yMinRaw, yMaxRaw) : niceTicks(0, yMaxRaw);
    const yMin = panel.yLog ? Math.min(yMinRaw, ...yTicks) : 0;
    const yMax = Math.max(yMaxRaw, ...yTicks);
    const ty = (y: number) =>
      top +
      MARGIN.top +
      plotH -
      (panel.yLog
        ? (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin) || 1)
        : (y - yMin) / (yMax - yMin || 1)) *
        plotH;

    parts.push(
      `<text x="${MARGIN.left}" y="${top + MARGIN.top - 10}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`,
    );
    for (const t of yTicks) {
      parts.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${ty(t).toFixed(1)}" y2="${ty(t).toFixed(1)}" stroke="#e5e7eb"/>`,
        `<text x="${MARGIN.left - 6}" y="${(ty(t) + 4).toFixed(1)}" text-anchor="end" fill="#374151">${fmt(t)}</text>`,
      );
    }
    for (const t of xTicks) {
      parts.push(
        `<text x="${tx(t).toFixed(1)}" y="${top + MARGIN.top + plotH + 16}" text-anchor="middle" fill="#374151">${fmt(t)}</text>`,
      );
    }
    parts.push(
      `<rect x="${MARGIN.left}" y="${top + MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af"/>`,
      `<text x="${MARGIN.left + plotW / 2}" y="${top + MARGIN.top + plotH + 34}" text-anchor="middle" fill="#111827">${esc(xLabel)}</text>`,
      `<text transform="translate(16 ${top + MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#111827">${esc(panel.yLabel)}</text>`,
    );
    for (const m of panel.markers ?? []) {
      const x = tx(m.x).toFixed(1);
      parts.push(
        `<line x1="${x}" x2="${x}" y1="${top + MARGIN.top}" y2="${top + MARGIN.top + plotH}" stroke="#6b7280" stroke-dasharray="4 3"/>`,
        `<text x="${Number(x) + 4}" y="${top + MARGIN.top + 12}" fill="#4b5563">${esc(m.label)}</text>`,
      );
    }
    panel.series.forEach((s, j) => {
      const color = COLORS[j % COLORS.length];
      const pts = s.points.filter(([, y]) => Number.isFinite(y) && (!panel.yLog || y > 0));
      const d = pts
        .map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${tx(x).toFixed(1)},${ty(y).toFixed(1)}`)
        .join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const [x, y] of pts)
        parts.push(
          `<circle cx="${tx(x).toFixed(1)}" cy="${ty(y).toFixed(1)}" r="3" fill="${color}"/>`,
        );
      const ly = top + MARGIN.top + 14 + j * 18;
      parts.push(
        `<line x1="${MARGIN.left + plotW + 12}" x2="${MARGIN.left + plotW + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`,
        `<text x="${MARGIN.left + plotW + 36}" y="${ly}" fill="#111827">${esc(s.name)}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** One group of horizontal bars: categorical results (client, codec, acks) with one unit. */
export interface BarPanel {
  title: string;
  unit: string;
  bars: { label: string; value: number; note?: string }[];
}

/** Horizontal bar charts, panels stacked vertically: where the x axis is a category, not a number. */
export function renderBarChart({
  title,
  panels,
  width = 760,
  barHeight = 22,
  labelWidth = 230,
}: {
  title: string;
  panels: BarPanel[];
  width?: number;
  barHeight?: number;
  labelWidth?: number;
}): string {
  const parts: string[] = [];
  // Room on the right for the value and its note.
  const plotW = width - labelWidth - 200;
  let y = 34;
  const body: string[] = [];
  for (const panel of panels) {
    body.push(
      `<text x="10" y="${y + 14}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`,
    );
    y += 24;
    const max = Math.max(...panel.bars.map((b) => b.value), 1e-9);
    panel.bars.forEach((bar, i) => {
      const w = (bar.value / max) * plotW;
      const color = COLORS[i % COLORS.length];
      body.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight / 2 + 4}" text-anchor="end" fill="#111827">${esc(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${Math.max(w, 1).toFixed(1)}" height="${barHeight - 4}" fill="${color}"/>`,
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + barHeight / 2 + 4}" fill="#374151">${fmt(bar.value)} ${esc(panel.unit)}${bar.note ? ` ${esc(bar.note)}` : ''}</text>`,
      );
      y += barHeight;
    });
    y += 14;
  }
  const height = y + 6;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...body,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
