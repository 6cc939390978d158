/**
 * Horizontal bar charts for categorical results (client, codec, acks), which
 * @pocs/shared/chart's line charts do not fit. Same look: plain SVG, no dependency.
 * Kept in this POC until a second one needs it.
 */
export interface BarPanel {
  title: string;
  unit: string;
  bars: { label: string; value: number; note?: string }[];
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) =>
  v >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : `${Number(v.toPrecision(3))}`;

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
