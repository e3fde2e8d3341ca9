// The path of one call across threads as an indented tree, in the spirit of the seed note: the guest's
// spans, with the device's and the host's work hung under the guest span that was running (or waiting)
// when it happened. Device and host spans are matched to the call by the request's physical address.
import type { TraceRecord } from '../runtime/index.js';
import { labelOf, layerOf, spansByThread, type Span, type SpanContext } from './spans.js';

/** One step of a call's path. */
export interface CallNode {
  readonly label: string;
  readonly thread: string;
  readonly layer: string;
  /** Microseconds from the call's start. */
  readonly at: number;
  readonly durationUs: number;
  readonly instant: boolean;
  readonly children: CallNode[];
}

/** Which ring slots are guest (vCPU) threads. */
export interface TreeContext extends SpanContext {
  isGuest(slot: number): boolean;
}

function walk(s: Span, fn: (s: Span) => void): void {
  fn(s);
  for (const c of s.children) walk(c, fn);
}

/** The deepest span of `root` whose interval contains `t`. */
function deepestContaining(root: Span, t: number): Span {
  for (const c of root.children) {
    if (!c.instant && c.start <= t && t <= c.end) return deepestContaining(c, t);
  }
  return root;
}

/** Every traced guest call in the records, as a tree with the device and host work attached. */
export function callTrees(records: readonly TraceRecord[], ctx: TreeContext): CallNode[] {
  const byThread = spansByThread(records);
  const foreign: Span[] = [];
  const roots: Span[] = [];
  for (const [slot, spans] of byThread) {
    if (ctx.isGuest(slot)) roots.push(...spans.filter((s) => !s.instant));
    else foreign.push(...spans);
  }
  roots.sort((x, y) => x.start - y.start);
  const attached = new Map<Span, Span[]>();
  const used = new Set<Span>();
  for (const root of roots) {
    const phys = new Set<number>();
    walk(root, (s) => {
      if (s.name === 'VbglR0GRPerform') phys.add(s.a);
    });
    for (const f of foreign) {
      if (used.has(f) || !phys.has(f.a) || f.start < root.start || f.start > root.end) continue;
      used.add(f);
      const host = deepestContaining(root, f.start);
      attached.set(host, [...(attached.get(host) ?? []), f]);
    }
  }
  const convert = (s: Span, t0: number): CallNode => {
    const kids = [...s.children, ...(attached.get(s) ?? [])].sort((x, y) => x.start - y.start);
    return {
      label: labelOf(s, ctx),
      thread: ctx.threadName(s.slot),
      layer: layerOf(s.name),
      at: s.start - t0,
      durationUs: s.end - s.start,
      instant: s.instant,
      children: kids.map((k) => convert(k, t0)),
    };
  };
  return roots.map((r) => convert(r, r.start));
}

/** Render a call tree: one line per step, indented by depth, with thread, layer and time. */
export function formatTree(node: CallNode, width = 64): string {
  const lines: string[] = [];
  const visit = (n: CallNode, depth: number): void => {
    const name = `${'  '.repeat(depth)}${n.label}`;
    const time = n.instant
      ? `@ +${n.at.toFixed(1)} µs`
      : `${n.durationUs.toFixed(1).padStart(9)} µs  (+${n.at.toFixed(1)})`;
    lines.push(`${name.padEnd(width)} ${n.thread.padEnd(7)} ${n.layer.padEnd(7)} ${time}`);
    for (const c of n.children) visit(c, depth + 1);
  };
  visit(node, 0);
  return lines.join('\n');
}
