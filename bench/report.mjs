// Results of `npm run bench`: the JSON file and a hand-written SVG chart beside it (one pair of
// bars per scenario, ours vs the peer, normalised to the larger of the two, with the ratio).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const xml = (text) =>
  String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const num = (value) =>
  Number.isFinite(value) ? (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2)) : 'n/a';

/** The SVG chart of the targets that compare two numbers. */
export function chart(targets) {
  const rows = targets.filter((t) => Number.isFinite(t.ours) && Number.isFinite(t.peer));
  const width = 860;
  const barMax = 360;
  const rowHeight = 64;
  const top = 40;
  const height = top + rows.length * rowHeight + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<title>mcp-cimd bench: ours vs peer per scenario</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">mcp-cimd bench: ours (blue) vs peer (grey); bars scaled per row</text>`,
  ];
  rows.forEach((t, i) => {
    const y = top + i * rowHeight;
    const scale = Math.max(t.ours, t.peer, 1e-9);
    const verdict = t.met === undefined ? '' : t.met ? ' MET' : ' NOT MET';
    const colour = t.met === undefined ? '#333' : t.met ? '#1a7f37' : '#cf222e';
    parts.push(
      `<text x="10" y="${y + 12}">${xml(t.id)}</text>`,
      `<text x="10" y="${y + 28}" fill="${colour}">${xml(t.measured)}${verdict}</text>`,
      `<rect x="420" y="${y}" width="${((t.ours / scale) * barMax).toFixed(1)}" height="16" fill="#0969da"/>`,
      `<text x="${(426 + (t.ours / scale) * barMax).toFixed(1)}" y="${y + 12}">${num(t.ours)} ${xml(t.unit)} ours</text>`,
      `<rect x="420" y="${y + 20}" width="${((t.peer / scale) * barMax).toFixed(1)}" height="16" fill="#8c959f"/>`,
      `<text x="${(426 + (t.peer / scale) * barMax).toFixed(1)}" y="${y + 32}">${num(t.peer)} ${xml(t.unit)} ${xml(t.peerLabel ?? 'peer')}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Writes `report` as JSON at `out` and its chart beside it (same name, `.svg`). */
export function writeReport(out, report) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const svg = join(
    dirname(out),
    `${out
      .split('/')
      .pop()
      .replace(/\.json$/, '')}.svg`,
  );
  writeFileSync(svg, chart(report.targets));
  return svg;
}
