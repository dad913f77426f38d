/**
 * A layered (Sugiyama-style) layout for the script diagram, small enough to read and with no
 * dependency (dagre is unmaintained; @dagrejs/dagre would do, but a script of at most MAX_STEPS
 * steps needs no more than this):
 *   1. back-edges: a depth-first walk from the roots; an edge to a step still on the walk's path
 *      closes a loop and is drawn on the side instead (a self-loop beside its box);
 *   2. layers: the longest path from the roots over the other edges (Kahn's order), so every
 *      forward arrow points down; an arrow longer than one layer passes through placeholders;
 *   3. order within layers: barycentre sweeps down and up, reducing crossings;
 *   4. x: each box centred over (then under) its neighbours, pushed apart to keep the gap.
 * Every walk is a loop over arrays, no recursion: a 500-step chain is well under a millisecond.
 */

export interface LayoutNode {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  /** room kept free to the right of the box (a self-loop and its label) */
  readonly rightPad?: number;
}

export interface LayoutEdge {
  readonly from: string;
  readonly to: string;
}

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode {
  /** the centre */
  x: number;
  y: number;
  width: number;
  height: number;
  layer: number;
}

/**
 * A forward edge runs down through `points` (source bottom, placeholders, target top); a back
 * edge leaves its source's bottom for a lane at `laneX`, beside every box of the layers it spans,
 * runs up it and enters its target from that side.
 */
export type PlacedEdge =
  | { kind: 'forward'; points: Point[] }
  | { kind: 'back'; from: Point; to: Point; laneX: number }
  | { kind: 'self'; at: Point };

export interface Layout {
  nodes: Map<string, PlacedNode>;
  /** in the order of the input edges */
  edges: PlacedEdge[];
  width: number;
  height: number;
}

const GAP_X = 28;
const GAP_Y = 56;
const LANE = 16;
const DUMMY = 12;
/** how far a back edge dips below its source before it turns to its lane */
export const BACK_DIP = 26;

interface Cell {
  id: string;
  width: number;
  height: number;
  rightPad: number;
  layer: number;
  x: number;
  pos: number;
  ups: Cell[];
  downs: Cell[];
}

/** Lays out the graph; nodes no root reaches are laid out from themselves, in input order. */
export function layoutGraph(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], roots: readonly string[]): Layout {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const out: number[][] = nodes.map(() => []);
  edges.forEach((e, i) => {
    if (e.from !== e.to) out[index.get(e.from)!]!.push(i);
  });

  // 1. back-edges, by an iterative depth-first walk
  const back = new Set<number>();
  const state = new Uint8Array(nodes.length); // 0 new, 1 on the path, 2 done
  const visitOrder: number[] = [];
  const starts = [...roots.map((r) => index.get(r)!).filter((i) => i !== undefined), ...nodes.map((_, i) => i)];
  for (const s of starts) {
    if (state[s]) continue;
    const stack: [number, number][] = [[s, 0]];
    state[s] = 1;
    visitOrder.push(s);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [v, k] = top;
      if (k >= out[v]!.length) {
        state[v] = 2;
        stack.pop();
        continue;
      }
      top[1]++;
      const ei = out[v]![k]!;
      const w = index.get(edges[ei]!.to)!;
      if (state[w] === 1) back.add(ei);
      else if (state[w] === 0) {
        state[w] = 1;
        visitOrder.push(w);
        stack.push([w, 0]);
      }
    }
  }

  // 2. layers: longest path over the forward edges
  const forward = edges.map((e, i) => i).filter((i) => edges[i]!.from !== edges[i]!.to && !back.has(i));
  const indeg = new Array<number>(nodes.length).fill(0);
  for (const i of forward) indeg[index.get(edges[i]!.to)!]!++;
  const layer = new Array<number>(nodes.length).fill(0);
  const queue = visitOrder.filter((v) => indeg[v] === 0);
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q]!;
    for (const ei of out[v]!) {
      if (back.has(ei)) continue;
      const w = index.get(edges[ei]!.to)!;
      layer[w] = Math.max(layer[w]!, layer[v]! + 1);
      if (--indeg[w]! === 0) queue.push(w);
    }
  }

  const cells: Cell[] = nodes.map((n, i) => ({ id: n.id, width: n.width, height: n.height, rightPad: n.rightPad ?? 0, layer: layer[i]!, x: 0, pos: 0, ups: [], downs: [] }));
  const chains = new Map<number, Cell[]>();
  for (const ei of forward) {
    const a = cells[index.get(edges[ei]!.from)!]!;
    const b = cells[index.get(edges[ei]!.to)!]!;
    const chain = [a];
    for (let l = a.layer + 1; l < b.layer; l++) chain.push({ id: '', width: DUMMY, height: 0, rightPad: 0, layer: l, x: 0, pos: 0, ups: [], downs: [] });
    chain.push(b);
    for (let k = 1; k < chain.length; k++) {
      chain[k - 1]!.downs.push(chain[k]!);
      chain[k]!.ups.push(chain[k - 1]!);
    }
    chains.set(ei, chain);
  }
  const all = [...cells, ...[...chains.values()].flatMap((c) => c.slice(1, -1))];
  const layers: Cell[][] = [];
  const order = new Map(visitOrder.map((v, k) => [cells[v]!, k]));
  for (const c of all) (layers[c.layer] ??= []).push(c);
  for (const l of layers) l.sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
  const number = (l: Cell[]) => l.forEach((c, p) => (c.pos = p));
  layers.forEach(number);

  // 3. order: barycentre sweeps
  const mean = (cs: Cell[], f: (c: Cell) => number, fallback: number) => (cs.length ? cs.reduce((s, c) => s + f(c), 0) / cs.length : fallback);
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const seq = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const l of seq) {
      const bary = new Map(l.map((c) => [c, mean(down ? c.ups : c.downs, (n) => n.pos, c.pos)]));
      l.sort((a, b) => bary.get(a)! - bary.get(b)!);
      number(l);
    }
  }

  // 4. x: centred over neighbours, kept apart (the mean of pushing right and pushing left)
  const sep = (a: Cell, b: Cell) => a.width / 2 + a.rightPad + GAP_X + b.width / 2;
  const place = (l: Cell[], want: number[]) => {
    const toRight = [...want];
    for (let i = 1; i < l.length; i++) toRight[i] = Math.max(want[i]!, toRight[i - 1]! + sep(l[i - 1]!, l[i]!));
    const toLeft = [...want];
    for (let i = l.length - 2; i >= 0; i--) toLeft[i] = Math.min(want[i]!, toLeft[i + 1]! - sep(l[i]!, l[i + 1]!));
    l.forEach((c, i) => (c.x = (toRight[i]! + toLeft[i]!) / 2));
  };
  for (const l of layers) place(l, l.map(() => 0));
  for (const down of [true, false, true]) {
    const seq = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const l of seq) place(l, l.map((c) => mean(down ? c.ups : c.downs, (n) => n.x, c.x)));
  }

  // y by layer, then everything shifted to start at 0
  const ys: number[] = [];
  let y = 0;
  for (const l of layers) {
    const h = Math.max(0, ...l.map((c) => c.height));
    ys.push(y + h / 2);
    y += h + GAP_Y;
  }
  const cy = (c: Cell) => ys[c.layer]!;
  const left = (c: Cell) => c.x - c.width / 2;
  const right = (c: Cell) => c.x + c.width / 2 + c.rightPad;

  // a back edge bulges out on the side with fewer boxes beside its ends (fewer to cross), in the
  // innermost lane free over its layers on that side, so loops far apart share one, and loops
  // back to the same box share one too (a bus into it, rather than a lane per loop)
  type Used = [lo: number, hi: number, to: string][];
  const lanes = { left: [] as Used[], right: [] as Used[] };
  const lane = (side: 'left' | 'right', lo: number, hi: number, to: string) => {
    const used = lanes[side];
    let k = used.findIndex((u) => u.every(([a, b, t]) => b < lo || a > hi || t === to));
    if (k < 0) k = used.push([]) - 1;
    used[k]!.push([lo, hi, to]);
    return k;
  };
  const real = new Set(cells);
  const beside = (c: Cell, side: 'left' | 'right') => layers[c.layer]!.filter((o) => real.has(o) && (side === 'left' ? o.pos < c.pos : o.pos > c.pos)).length;
  const backs = new Map<number, { side: 'left' | 'right'; laneX: number }>();
  edges.forEach((e, i) => {
    if (e.from === e.to || chains.has(i)) return;
    const a = cells[index.get(e.from)!]!;
    const b = cells[index.get(e.to)!]!;
    const side = beside(a, 'left') + beside(b, 'left') < beside(a, 'right') + beside(b, 'right') ? 'left' : 'right';
    const [lo, hi] = [Math.min(a.layer, b.layer), Math.max(a.layer, b.layer)];
    const span = layers.slice(lo, hi + 1).flat();
    const k = lane(side, lo, hi, e.to);
    const laneX = side === 'left' ? Math.min(...span.map(left)) - GAP_X - LANE * k : Math.max(...span.map(right)) + GAP_X + LANE * k;
    backs.set(i, { side, laneX });
  });

  // everything shifted to start at 0
  const minX = Math.min(...all.map(left), ...[...backs.values()].map((b) => b.laneX - LANE));
  for (const c of all) c.x -= minX;
  for (const b of backs.values()) b.laneX -= minX;
  const width = Math.max(0, ...all.map(right), ...[...backs.values()].map((b) => b.laneX + LANE));

  const placed = new Map<string, PlacedNode>(cells.map((c) => [c.id, { x: c.x, y: cy(c), width: c.width, height: c.height, layer: c.layer }]));
  const placedEdges: PlacedEdge[] = edges.map((e, i) => {
    const a = placed.get(e.from)!;
    const b = placed.get(e.to)!;
    if (e.from === e.to) return { kind: 'self', at: { x: a.x + a.width / 2, y: a.y } };
    const chain = chains.get(i);
    if (chain) {
      const pts = chain.map((c) => ({ x: c.x, y: cy(c) }));
      pts[0] = { x: a.x, y: a.y + a.height / 2 };
      pts[pts.length - 1] = { x: b.x, y: b.y - b.height / 2 };
      return { kind: 'forward', points: pts };
    }
    const { side, laneX } = backs.get(i)!;
    // out of the source's bottom, so it crosses no box beside it; into the target's side near its top, above a self-loop
    return { kind: 'back', from: { x: a.x, y: a.y + a.height / 2 }, to: { x: side === 'left' ? b.x - b.width / 2 : b.x + b.width / 2, y: b.y - b.height / 2 + 10 }, laneX };
  });
  // room below the last layer for a back edge leaving it
  return { nodes: placed, edges: placedEdges, width, height: Math.max(0, y - GAP_Y) + (backs.size ? BACK_DIP : 0) };
}
