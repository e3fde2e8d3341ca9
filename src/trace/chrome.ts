// Export ring records in the Chrome trace event format (the JSON Perfetto and chrome://tracing load):
// one lane per thread, spans as B/E pairs, instants as "i", interleaving points optionally as instants
// in their own category, and thread names as metadata.
import { RecordKind, SPANS, type TraceRecord } from '../runtime/index.js';
import { labelOf, layerOf, pointName, spansByThread, type Span, type SpanContext } from './spans.js';

/** One trace event (the subset of the format this exporter writes). */
export interface ChromeEvent {
  readonly name: string;
  readonly cat?: string;
  readonly ph: 'B' | 'E' | 'i' | 'M';
  readonly ts?: number;
  readonly pid: number;
  readonly tid: number;
  readonly s?: 't';
  readonly args?: Record<string, unknown>;
}

/** A trace file. */
export interface ChromeTrace {
  readonly traceEvents: ChromeEvent[];
  readonly displayTimeUnit: 'ms' | 'ns';
  readonly otherData?: Record<string, unknown>;
}

/**
 * The trace of `records`. Spans are rebuilt per thread first, so every B has its E on the same thread
 * and they nest; `points: true` adds each interleaving point as an instant event (category "point").
 */
export function toChromeTrace(
  records: readonly TraceRecord[],
  ctx: SpanContext,
  opts: { points?: boolean; meta?: Record<string, unknown> } = {},
): ChromeTrace {
  const events: ChromeEvent[] = [];
  const pid = 1;
  const slots = new Set<number>();
  const emit = (s: Span): void => {
    const cat = layerOf(s.name);
    const name = labelOf(s, ctx);
    const args = { a: s.a, b: s.b };
    if (s.instant) {
      events.push({ name, cat, ph: 'i', s: 't', ts: s.start, pid, tid: s.slot, args });
      return;
    }
    events.push({ name, cat, ph: 'B', ts: s.start, pid, tid: s.slot, args });
    for (const c of s.children) emit(c);
    events.push({
      name,
      cat,
      ph: 'E',
      ts: Math.max(s.end, s.start),
      pid,
      tid: s.slot,
      args: { a: s.endA, b: s.endB },
    });
  };
  for (const [slot, spans] of spansByThread(records)) {
    slots.add(slot);
    for (const s of spans) emit(s);
  }
  if (opts.points === true) {
    for (const r of records) {
      if (r.kind !== RecordKind.POINT) continue;
      slots.add(r.slot);
      events.push({
        name: pointName(r),
        cat: 'point',
        ph: 'i',
        s: 't',
        ts: r.ts,
        pid,
        tid: r.slot,
        args: { addr: r.a, gen: r.b },
      });
    }
  }
  for (const slot of [...slots].sort((x, y) => x - y)) {
    events.push({ name: 'thread_name', ph: 'M', pid, tid: slot, args: { name: ctx.threadName(slot) } });
  }
  events.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: 'hgcm-runtime' } });
  return { traceEvents: events, displayTimeUnit: 'ms', otherData: { spans: SPANS.length, ...opts.meta } };
}
