import { BACK_DIP, layoutGraph, type Layout, type PlacedEdge, type Point } from './diagram-layout.js';
import { scriptDiagram, type DiagramEdge, type DiagramNode, type NodeKind } from './diagram-model.js';
import type { Script } from './script-schema.js';

/**
 * A script as a picture for the people who write and approve it (issue 10): Mermaid for a wiki
 * or a merge request, SVG for a clinic's closed network (no font, script or stylesheet fetched).
 * What is drawn: diagram-model.ts; where: diagram-layout.ts.
 */

/** A Mermaid flowchart (top-down) of a checked script. */
export function scriptMermaid(script: Script): string {
  const d = scriptDiagram(script);
  const ids = new Map(d.nodes.map((n, i) => [n.id, `n${i}`]));
  const out = ['flowchart TD', `  %% ${mermaidComment(d.title)}`];
  const node = (n: DiagramNode) => `${ids.get(n.id)!}${MERMAID_SHAPE[n.kind](mermaidLabel([n.title, ...n.lines]))}`;
  for (const n of d.nodes.filter((n) => n.group === 'main')) out.push(`  ${node(n)}`);
  const side = d.nodes.filter((n) => n.group === 'safety');
  if (side.length) {
    out.push('  subgraph safety["Safe defaults: heard at every listen step"]', '    direction TB');
    for (const n of side) out.push(`    ${node(n)}`);
    out.push('  end');
  }
  for (const e of d.edges) out.push(`  ${ids.get(e.from)!} ${e.dashed ? '-.->' : '-->'}|${mermaidLabel([e.label])}| ${ids.get(e.to)!}`);
  for (const [kind, style] of Object.entries(MERMAID_CLASS)) {
    const members = d.nodes.filter((n) => n.kind === kind).map((n) => ids.get(n.id)!);
    if (members.length) out.push(`  classDef ${kind}Node ${style}`, `  class ${members.join(',')} ${kind}Node`);
  }
  out.push(`  classDef startNode stroke-width:3px`, `  class ${ids.get(d.start) ?? 'n0'} startNode`);
  return `${out.join('\n')}\n`;
}

const MERMAID_SHAPE: Record<NodeKind, (label: string) => string> = {
  entry: (l) => `([${l}])`,
  step: (l) => `[${l}]`,
  listen: (l) => `[${l}]`,
  end: (l) => `(${l})`,
  text: (l) => `[/${l}/]`,
  safety: (l) => `(${l})`,
};

const MERMAID_CLASS: Partial<Record<NodeKind, string>> = {
  entry: 'fill:#333,color:#fff,stroke:#333',
  listen: 'fill:#e8f0fe,stroke:#3b6fd8',
  end: 'fill:#f1f1f1,stroke:#555',
  text: 'fill:#fff8e1,stroke:#b8860b',
  safety: 'fill:#fdecea,stroke:#c0392b,stroke-dasharray:4 3',
};

/**
 * A quoted Mermaid label, lines joined with <br/>. Inside quotes Mermaid reads entity codes
 * (`#quot;`, `#35;`), so the characters that would end the string, start an entity, an edge
 * label or HTML are written as codes; Cyrillic and the rest pass as they are.
 */
export function mermaidLabel(lines: readonly string[]): string {
  const code = (s: string) => s.replace(/[#"<>&|`\\]/g, (c) => (c === '"' ? '#quot;' : `#${c.codePointAt(0)!};`)).replace(/[\r\n]+/g, ' ');
  return `"${lines.map(code).join('<br/>')}"`;
}

const mermaidComment = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** Text sizes, in px: the SVG names only generic font families, so widths are estimated (a Cyrillic letter is the widest). */
const FONT = 12;
const CHAR = 7;
const TITLE_CHAR = 7.8;
const LABEL_FONT = 11;
const LABEL_CHAR = 6.4;
const LINE = 16;
const PAD = 10;
const MARGIN = 24;
const HEADER = 34;
const GROUP_GAP = 56;

const SVG_STYLE: Record<NodeKind, { fill: string; stroke: string; rx: number; dash?: string; text?: string }> = {
  entry: { fill: '#333333', stroke: '#333333', rx: 16, text: '#ffffff' },
  step: { fill: '#ffffff', stroke: '#333333', rx: 3 },
  listen: { fill: '#e8f0fe', stroke: '#3b6fd8', rx: 3 },
  end: { fill: '#f1f1f1', stroke: '#555555', rx: 14 },
  text: { fill: '#fff8e1', stroke: '#b8860b', rx: 3 },
  safety: { fill: '#fdecea', stroke: '#c0392b', rx: 14, dash: '4 3' },
};

const textWidth = (s: string, per: number) => [...s].length * per;

/** A self-contained SVG of a checked script: the main flow, and the safe defaults in a dashed frame to its right. */
export function scriptSvg(script: Script): string {
  const d = scriptDiagram(script);
  const selfLabel = new Map(d.edges.filter((e) => e.from === e.to).map((e) => [e.from, e.label]));
  const size = (n: DiagramNode) => ({
    id: n.id,
    width: Math.ceil(Math.max(textWidth(n.title, TITLE_CHAR), ...n.lines.map((l) => textWidth(l, CHAR))) + 2 * PAD),
    height: PAD + LINE * (1 + n.lines.length) + PAD / 2,
    rightPad: selfLabel.has(n.id) ? 40 + textWidth(selfLabel.get(n.id)!, LABEL_CHAR) : 0,
  });
  const part = (group: DiagramNode['group'], roots: string[]) => {
    const nodes = d.nodes.filter((n) => n.group === group);
    const inside = new Set(nodes.map((n) => n.id));
    const edges = d.edges.filter((e) => inside.has(e.from) && inside.has(e.to));
    return { nodes, edges, layout: layoutGraph(nodes.map(size), edges, roots) };
  };
  const main = part('main', ['entry']);
  const side = part('safety', []);

  const body: string[] = [];
  const sideX = MARGIN + main.layout.width + GROUP_GAP;
  const top = MARGIN + HEADER;
  draw(body, main.nodes, main.edges, main.layout, MARGIN, top, d.start);
  let width = MARGIN + main.layout.width + MARGIN;
  let height = top + main.layout.height + MARGIN;
  if (side.nodes.length) {
    const caption = 'Safe defaults: heard at every listen step (blue)';
    const frameW = Math.max(side.layout.width, textWidth(caption, LABEL_CHAR)) + 2 * PAD;
    body.push(
      `<rect x="${sideX - PAD}" y="${top - 2 * PAD - LINE}" width="${frameW}" height="${side.layout.height + 3 * PAD + LINE}" fill="none" stroke="#c0392b" stroke-dasharray="6 4" rx="6"/>`,
      `<text x="${sideX}" y="${top - 2 * PAD + 2}" font-size="${LABEL_FONT}" fill="#c0392b">${xml(caption)}</text>`,
    );
    draw(body, side.nodes, side.edges, side.layout, sideX, top + PAD, d.start);
    width = sideX - PAD + frameW + MARGIN;
    height = Math.max(height, top + PAD + side.layout.height + MARGIN);
  }
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="${FONT}">`,
    `<title>${xml(d.title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444444"/></marker></defs>',
    `<rect width="${w}" height="${h}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 6}" font-size="14" font-weight="bold">${xml(d.title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function draw(out: string[], nodes: readonly DiagramNode[], edges: readonly DiagramEdge[], layout: Layout, dx: number, dy: number, start: string): void {
  const at = (p: Point): Point => ({ x: round(p.x + dx), y: round(p.y + dy) });
  const taken: Box[] = nodes.map((n) => {
    const p = layout.nodes.get(n.id)!;
    return { x: p.x + dx - p.width / 2, y: p.y + dy - p.height / 2, w: p.width, h: p.height };
  });
  const labels: string[] = [];
  edges.forEach((e, i) => {
    const { path, spots, anchor } = edgeGeometry(layout.edges[i]!, at);
    const dash = e.dashed ? ' stroke-dasharray="5 4"' : '';
    out.push(`<g class="edge" data-from="${xml(e.from)}" data-to="${xml(e.to)}"><path d="${path}" fill="none" stroke="#444444"${dash} marker-end="url(#arrow)"/></g>`);
    // the first spot along its own line where the label covers no box and no other label
    const w = textWidth(e.label, LABEL_CHAR) + 6;
    const boxes = spots.map((p) => ({ x: anchor === 'start' ? p.x : p.x - w / 2, y: p.y - 8, w, h: 15 }));
    const box = boxes.find((b) => !taken.some((t) => overlaps(b, t))) ?? boxes[0]!;
    taken.push(box);
    // labels after every line, so no arrow runs over one
    labels.push(
      `<g class="edge-label" data-from="${xml(e.from)}" data-to="${xml(e.to)}"><rect x="${round(box.x)}" y="${round(box.y)}" width="${round(w)}" height="15" fill="#ffffff" fill-opacity="0.9"/>` +
        `<text x="${round(box.x + 3)}" y="${round(box.y + 11.5)}" font-size="${LABEL_FONT}" fill="#222222">${xml(e.label)}</text></g>`,
    );
  });
  for (const n of nodes) {
    const p = layout.nodes.get(n.id)!;
    const s = SVG_STYLE[n.kind];
    const { x, y } = at({ x: p.x - p.width / 2, y: p.y - p.height / 2 });
    const stroke = n.id === start ? 3 : 1.2;
    const text = s.text ?? '#111111';
    const lines = [`<tspan x="${round(x + p.width / 2)}" dy="0" font-weight="bold">${xml(n.title)}</tspan>`, ...n.lines.map((l) => `<tspan x="${round(x + p.width / 2)}" dy="${LINE}">${xml(l)}</tspan>`)];
    out.push(
      `<g class="node" data-id="${xml(n.id)}"><rect x="${x}" y="${y}" width="${p.width}" height="${p.height}" rx="${s.rx}" fill="${s.fill}" stroke="${s.stroke}" stroke-width="${stroke}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>` +
        `<text y="${round(y + PAD + FONT)}" text-anchor="middle" fill="${text}">${lines.join('')}</text></g>`,
    );
  }
  out.push(...labels);
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** Where along a curve a label may sit, best first: its middle, then further out each way. */
const SPOTS = [0.5, 0.35, 0.65, 0.22, 0.78, 0.12, 0.88];

/** A point of the cubic Bezier a -> b with controls c1, c2. */
function bezier(a: Point, c1: Point, c2: Point, b: Point, t: number): Point {
  const u = 1 - t;
  const f = (p: number, q: number, r: number, s: number) => round(u * u * u * p + 3 * u * u * t * q + 3 * u * t * t * r + t * t * t * s);
  return { x: f(a.x, c1.x, c2.x, b.x), y: f(a.y, c1.y, c2.y, b.y) };
}

/** An edge's path, and the spots its label may take: forward edges as vertical S-curves, back edges up a lane beside the boxes. */
function edgeGeometry(e: PlacedEdge, at: (p: Point) => Point): { path: string; spots: Point[]; anchor: 'middle' | 'start' } {
  if (e.kind === 'self') {
    const p = at(e.at);
    return { path: `M${p.x},${p.y - 8} C${p.x + 34},${p.y - 26} ${p.x + 34},${p.y + 26} ${p.x},${p.y + 8}`, spots: [{ x: p.x + 30, y: p.y }], anchor: 'start' };
  }
  if (e.kind === 'back') {
    const a = at(e.from);
    const b = at(e.to);
    const lane = at({ x: e.laneX, y: 0 }).x;
    const turn = Math.min(16, (a.y - b.y) / 2);
    const path = `M${a.x},${a.y} C${a.x},${a.y + BACK_DIP} ${lane},${a.y + BACK_DIP} ${lane},${a.y} L${lane},${b.y + turn} C${lane},${b.y} ${lane},${b.y} ${b.x},${b.y}`;
    return { path, spots: SPOTS.map((t) => ({ x: lane, y: round(a.y + (b.y + turn - a.y) * t) })), anchor: 'middle' };
  }
  const pts = e.points.map(at);
  let path = `M${pts[0]!.x},${pts[0]!.y}`;
  const curves: [Point, Point, Point, Point][] = [];
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i - 1]!;
    const q = pts[i]!;
    const mid = round((p.y + q.y) / 2);
    curves.push([p, { x: p.x, y: mid }, { x: q.x, y: mid }, q]);
    path += ` C${p.x},${mid} ${q.x},${mid} ${q.x},${q.y}`;
  }
  // along the first stretch, then the last (an arrow spanning layers)
  const spots = [curves[0]!, ...(curves.length > 1 ? [curves[curves.length - 1]!] : [])].flatMap(([a, c1, c2, b]) => SPOTS.map((t) => bezier(a, c1, c2, b, t)));
  return { path, spots, anchor: 'middle' };
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Text for XML content and attribute values. */
export function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // characters XML 1.0 does not allow at all
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}
