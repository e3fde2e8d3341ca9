// The guest programs of the threads executor: the same workload step machines the sim runs as actors,
// here on real vCPU worker threads (loaded by Machine.run), each with its own ledger.
import type { GuestContext } from '../../src/vcpu/guest-context.js';
import {
  Ledger,
  connectShared,
  disconnectShared,
  runThread,
  type CallRecord,
  type ClientOpRecord,
  type Workload,
} from '../workload.js';

/** Wall-clock ms comparable across threads (each worker's performance.now has its own origin). */
const stamp = (): number => performance.timeOrigin + performance.now();

/** Connect the workload's shared kernel clients; their ids. */
export function prelude(g: GuestContext, a: { workload: Workload }): number[] {
  const ledger = new Ledger(a.workload.clients.length, stamp);
  g.run(connectShared(g.kernel, a.workload, ledger));
  return ledger.clientIds;
}

/** What one thread did. */
export interface ThreadReport {
  readonly calls: CallRecord[];
  readonly ops: ClientOpRecord[];
  readonly clientIds: number[];
}

/** Play thread `t`. */
export function thread(
  g: GuestContext,
  a: { workload: Workload; t: number; clientIds: number[] },
): ThreadReport {
  const ledger = new Ledger(a.workload.clients.length, stamp);
  ledger.clientIds.splice(0, a.clientIds.length, ...a.clientIds);
  g.run(runThread(g.lib, a.workload, a.t, ledger));
  return { calls: ledger.calls, ops: ledger.ops, clientIds: ledger.clientIds };
}

/** Disconnect the shared clients still connected. */
export function teardown(g: GuestContext, a: { workload: Workload; clientIds: number[] }): void {
  const ledger = new Ledger(a.workload.clients.length, stamp);
  ledger.clientIds.splice(0, a.clientIds.length, ...a.clientIds);
  g.run(disconnectShared(g.kernel, a.workload, ledger));
}

/** Nothing: run on a vCPU so the worker consumes a signal left pending by the previous run. */
export function settle(): void {}
