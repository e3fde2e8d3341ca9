// From ring records to spans: per-thread begin/end nesting, and how each span is named and layered for
// people (the upstream function names the seed note follows a write(2) through).
import { FUSE_OP_NAMES, RequestType, ShflFn } from '../abi/index.js';
import { POINTS, RecordKind, type SpanName, SPANS, type TraceRecord } from '../runtime/index.js';

/** One span on one thread, with what nests inside it on that thread. */
export interface Span {
  readonly name: SpanName;
  readonly slot: number;
  readonly start: number;
  end: number;
  /** First record's arguments (begin), and the end's. */
  readonly a: number;
  readonly b: number;
  endA: number;
  endB: number;
  readonly instant: boolean;
  readonly children: Span[];
}

/** What naming needs to know about the machine. */
export interface SpanContext {
  /** Thread name of a ring slot. */
  threadName(slot: number): string;
  /** Service name by registry index. */
  serviceName(index: number): string | undefined;
}

/** Which layer a span belongs to. */
export function layerOf(name: SpanName): string {
  if (name === 'vboxCall') return 'vboxsf';
  if (name === 'fuseRequest') return 'fuse';
  if (name.startsWith('vmmdev')) return 'vmmdev';
  if (name === 'hgcmServiceThread' || name === 'svcCall') return 'hgcm';
  if (name === 'hgcmCompletedWorker' || name === 'DONE' || name === 'IRQ') return 'vmmdev';
  if (name.startsWith('vbsf')) return 'vbsf';
  if (name.startsWith('RT')) return 'iprt';
  return 'guest';
}

const shflNames: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ShflFn).map(([k, v]) => [v, k]),
);
const requestNames: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(RequestType).map(([k, v]) => [v, k]),
);

function camel(shfl: string): string {
  return shfl
    .toLowerCase()
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** A span's label, with its arguments where they say something (e.g. "vboxCallWrite", "svcCall SHFL_FN_WRITE"). */
export function labelOf(s: Span, ctx: SpanContext): string {
  const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
  switch (s.name) {
    case 'vboxCall':
      return `vboxCall${camel(shflNames[s.a] ?? String(s.a))}`;
    case 'VbglR0HGCMCall':
      return s.a === 0 ? 'VbglR0HGCMConnect/Disconnect' : `VbglR0HGCMCall (fn ${s.a})`;
    case 'fuseRequest':
      return `FUSE_${FUSE_OP_NAMES[s.a] ?? s.a} (node ${s.b})${s.endB === 0 ? '' : ` -> errno ${s.endB}`}`;
    case 'VbglR0HGCMFastCall':
      return `VbglR0HGCMFastCall (fn ${s.a})`;
    case 'VbglR0GRAlloc':
      return `VbglR0GRAlloc (${s.a} bytes)`;
    case 'VbglR0GRPerform':
      return `VbglR0GRPerform (outl ${hex(s.a)})`;
    case 'vmmdevRequestHandler':
      return `vmmdevRequestHandler (${hex(s.a)})`;
    case 'vmmdevReqHandler':
      return `vmmdevReqHandler_${requestNames[s.a] ?? s.a}`;
    case 'hgcmServiceThread':
      return `hgcmServiceThread (command ${s.b})`;
    case 'svcCall': {
      const svc = ctx.serviceName(s.b);
      return svc === 'VBoxSharedFolders'
        ? `svcCall SHFL_FN_${shflNames[s.a] ?? s.a}`
        : `svcCall ${svc ?? '?'} fn ${s.a}`;
    }
    case 'RTFileWrite':
    case 'RTFileRead':
      return `${s.name} (${s.a} bytes)`;
    case 'graceWait':
      return `grace wait (${s.b} ms)`;
    case 'leak':
      return `leak (${s.b} bytes)`;
    default:
      return s.name;
  }
}

/**
 * Spans per thread, nested by begin/end order. Points are dropped here (they are the step log); an end
 * without a begin (the ring wrapped) is ignored, a begin without an end is closed at the thread's last
 * record.
 */
export function spansByThread(records: readonly TraceRecord[]): Map<number, Span[]> {
  const roots = new Map<number, Span[]>();
  const stacks = new Map<number, Span[]>();
  const last = new Map<number, number>();
  for (const r of records) {
    last.set(r.slot, r.ts);
    if (r.kind === RecordKind.POINT) continue;
    const name = SPANS[r.code];
    if (name === undefined) continue;
    const stack = stacks.get(r.slot) ?? [];
    stacks.set(r.slot, stack);
    if (!roots.has(r.slot)) roots.set(r.slot, []);
    const parentList = stack.length > 0 ? stack[stack.length - 1]!.children : roots.get(r.slot)!;
    if (r.kind === RecordKind.BEGIN || r.kind === RecordKind.INSTANT) {
      const s: Span = {
        name,
        slot: r.slot,
        start: r.ts,
        end: r.ts,
        a: r.a,
        b: r.b,
        endA: r.a,
        endB: r.b,
        instant: r.kind === RecordKind.INSTANT,
        children: [],
      };
      parentList.push(s);
      if (r.kind === RecordKind.BEGIN) stack.push(s);
    } else if (r.kind === RecordKind.END) {
      const i = stack.map((s) => s.name).lastIndexOf(name);
      if (i < 0) continue;
      const closed = stack.splice(i);
      for (const s of closed) s.end = r.ts;
      closed[0]!.endA = r.a;
      closed[0]!.endB = r.b;
    }
  }
  for (const [slot, stack] of stacks) for (const s of stack) s.end = last.get(slot) ?? s.end;
  return roots;
}

/** A point record's name (for step logs). */
export function pointName(r: TraceRecord): string {
  return POINTS[r.code] ?? `point ${r.code}`;
}
