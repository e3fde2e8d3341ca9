// The guest programs of the threads executor: the same workload step machines the sim runs as actors,
// here on real vCPU worker threads (loaded by Machine.run), each with its own ledger.
import type { GuestContext } from '../../src/guest/index.js';
import { ControlClock } from '../../src/runtime/index.js';
import { isr } from '../../src/vcpu/index.js';
import {
  Ledger,
  connectShared,
  disconnectShared,
  runThread,
  type CallRecord,
  type ClientOpRecord,
  type Workload,
} from '../workload.js';
import type { SfFile } from '../share.js';

/** Wall-clock ms comparable across threads (each worker's performance.now has its own origin). */
const wallEpoch = (): number => performance.timeOrigin + performance.now();

/**
 * The guest's clock (see Ledger.stamp) as ms since the epoch: wall time, or a controlled machine's clock
 * (virtual while its coordinator decides), which is in that frame already.
 */
const clockOf = (g: GuestContext): (() => number) =>
  g.kernel.clock instanceof ControlClock ? () => g.now() : () => performance.timeOrigin + g.now();

/** What the prelude connected: client ids and, for Shared Folders clients, the file they opened. */
export interface PreludeReport {
  readonly clientIds: number[];
  readonly sfFiles: (SfFile | undefined)[];
}

/** Connect the workload's shared kernel clients (and open the share's file for 'sf' ones). */
export function prelude(g: GuestContext, a: { workload: Workload }): PreludeReport {
  const ledger = new Ledger(a.workload.clients.length, clockOf(g), wallEpoch);
  g.run(connectShared(g.kernel, a.workload, ledger));
  return { clientIds: ledger.clientIds, sfFiles: ledger.sfFiles };
}

/** What one thread did. */
export interface ThreadReport {
  readonly calls: CallRecord[];
  readonly ops: ClientOpRecord[];
  readonly clientIds: number[];
}

/** Play thread `t`. */
export function thread(g: GuestContext, a: { workload: Workload; t: number } & PreludeReport): ThreadReport {
  const ledger = new Ledger(a.workload.clients.length, clockOf(g), wallEpoch);
  ledger.clientIds.splice(0, a.clientIds.length, ...a.clientIds);
  ledger.sfFiles.push(...a.sfFiles);
  g.run(runThread(g.lib, a.workload, a.t, ledger));
  return { calls: ledger.calls, ops: ledger.ops, clientIds: ledger.clientIds };
}

/** Disconnect the shared clients still connected. */
export function teardown(g: GuestContext, a: { workload: Workload; clientIds: number[] }): void {
  const ledger = new Ledger(a.workload.clients.length, clockOf(g), wallEpoch);
  ledger.clientIds.splice(0, a.clientIds.length, ...a.clientIds);
  g.run(disconnectShared(g.kernel, a.workload, ledger));
}

/**
 * Between runs on a kept machine: the vCPU's worker consumes a signal left pending by the previous run
 * (after this program returns), and an interrupt line a late completion left up is handled here, as the
 * guest's ISR would, so the next run starts with the line down as on a fresh machine (a wait that finds it
 * up runs the ISR first: a different first step, which a controlled replay on a fresh machine would miss).
 */
export function settle(g: GuestContext): void {
  if (g.kernel.bus.irqPending()) g.run(isr(g.kernel));
}
