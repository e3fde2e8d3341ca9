// A sim run's step trace in the Chrome trace event format (Perfetto, chrome://tracing): one lane per
// actor, each step a slice named after what the actor did ("point device.cancel.mark", "wait ok"), so the
// interleaving reads left to right. Steps have no duration in virtual time (many share one instant), so
// the time axis is the step number, STEP_US apart; the virtual time is in each slice's arguments. Marks
// (a violation, a divergence) are instants on their actor's lane.
import type { ChromeEvent, ChromeTrace } from '../trace/index.js';
import type { TraceStep } from './types.js';

/** Microseconds of the time axis per step. */
export const STEP_US = 10;

/** Something to point at in the trace: a step, with a label. */
export interface StepMark {
  readonly step: number;
  readonly actor: string;
  readonly name: string;
  readonly detail?: string;
}

/** The Chrome trace of a sim run's steps. */
export function simStepsToChrome(
  steps: readonly TraceStep[],
  opts: { marks?: readonly StepMark[]; meta?: Record<string, unknown> } = {},
): ChromeTrace {
  const pid = 1;
  const lanes = new Map<string, number>();
  const lane = (actor: string): number => {
    let tid = lanes.get(actor);
    if (tid === undefined) lanes.set(actor, (tid = lanes.size + 1));
    return tid;
  };
  const events: ChromeEvent[] = [];
  for (const s of steps) {
    const tid = lane(s.actor);
    const ts = s.step * STEP_US;
    const cat = s.what.startsWith('point ') ? s.what.slice(6).split('.')[0]! : 'sim';
    const args = { step: s.step, virtualMs: s.at, addr: `0x${s.addr.toString(16)}`, gen: s.gen };
    events.push({ name: s.what, cat, ph: 'B', ts, pid, tid, args });
    events.push({ name: s.what, cat, ph: 'E', ts: ts + STEP_US - 1, pid, tid });
  }
  for (const m of opts.marks ?? []) {
    const ts = Math.max(0, m.step) * STEP_US;
    events.push({
      name: m.name,
      cat: 'mark',
      ph: 'i',
      s: 't',
      ts,
      pid,
      tid: lane(m.actor),
      args: m.detail === undefined ? {} : { detail: m.detail },
    });
  }
  const meta: ChromeEvent[] = [
    { name: 'process_name', ph: 'M', pid, tid: 0, args: { name: 'hgcm-runtime sim' } },
  ];
  for (const [actor, tid] of lanes)
    meta.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: actor } });
  return {
    traceEvents: [...meta, ...events],
    displayTimeUnit: 'ms',
    otherData: { timeAxis: `step number x ${STEP_US} µs`, ...opts.meta },
  };
}
