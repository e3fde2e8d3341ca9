// Reading a machine's trace: the ring, thread and service names for its slots, and the exporters.
import { type TraceRecord, TraceRing } from '../runtime/index.js';
import {
  type CallNode,
  callTrees,
  type ChromeTrace,
  toChromeTrace,
  type TreeContext,
} from '../trace/index.js';
import { TraceSlot } from './assemble.js';
import type { MachineShared } from './config.js';

/** The naming context of a machine's trace. */
export function traceContext(s: MachineShared): TreeContext {
  return {
    threadName: (slot) => TraceSlot.name(s.config, slot),
    serviceName: (i) => s.services[i]?.name,
    isGuest: (slot) => slot >= 1 && slot <= s.config.vcpus,
  };
}

/** A machine's trace: switch it on and off, read it, export it. */
export class MachineTrace {
  private readonly s: MachineShared;
  readonly ring: TraceRing;

  constructor(s: MachineShared) {
    this.s = s;
    this.ring = TraceRing.attach(s.trace);
  }

  /** Record spans for 1 in `sample` guest calls (1: every call); `enabled: false` stops recording. */
  set(enabled: boolean, sample = this.ring.sample): void {
    this.ring.sample = sample;
    this.ring.enabled = enabled;
  }

  records(): TraceRecord[] {
    return this.ring.snapshot();
  }

  clear(): void {
    this.ring.clear();
  }

  /** Each traced guest call as a tree across threads. */
  calls(records: readonly TraceRecord[] = this.records()): CallNode[] {
    return callTrees(records, traceContext(this.s));
  }

  /** The Chrome trace event format (Perfetto, chrome://tracing). */
  chrome(
    opts: { points?: boolean; meta?: Record<string, unknown> } = {},
    records: readonly TraceRecord[] = this.records(),
  ): ChromeTrace {
    return toChromeTrace(records, traceContext(this.s), opts);
  }
}
