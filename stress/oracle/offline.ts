// The threads executor's offline oracles over the trace ring (every point every thread passed, in one
// global order): what the order of points alone can prove - a cancelled command written back (I2), a
// command completed twice (I3), the auditor's write after free (I1) - and the classes the log shows.
import type { PointRecord } from '../../src/runtime/index.js';
import type { InvariantId, Violation } from './invariants.js';
import type { World } from './world.js';

const WRITES = new Set(['host.complete.writeBuffers', 'host.complete.writeHeader', 'host.complete.setDone']);

/** Check a run's log; times are ms since `t0` (`at` for what has no record of its own). */
export function checkLog(
  log: readonly PointRecord[],
  world: World,
  o: { readonly at: number; readonly t0: number; readonly auditBefore: number },
): Violation[] {
  const out: Violation[] = [];
  const v = (inv: InvariantId, detail: string, r?: PointRecord): void => {
    out.push({
      inv,
      phase: 'main',
      step: r?.seq ?? -1,
      at: Math.round(((r?.time ?? o.at) - o.t0) * 1000) / 1000,
      actor: r === undefined ? 'end' : `slot${r.slot}`,
      detail,
    });
  };
  const marked = new Map<number, PointRecord>();
  const headers = new Map<number, number>();
  for (const r of log) {
    if (r.point === 'device.cancel.mark') marked.set(r.gen, r);
    if (WRITES.has(r.point) && marked.has(r.gen))
      v(
        'I2',
        `command ${r.gen} was marked cancelled (seq ${marked.get(r.gen)!.seq}) and is written back (${r.point})`,
        r,
      );
    if (r.point === 'host.complete.writeHeader') {
      const n = (headers.get(r.gen) ?? 0) + 1;
      headers.set(r.gen, n);
      if (n > 1) v('I3', `command ${r.gen} written back twice`, r);
    }
  }
  // A mark after the writes: the cancel "succeeded" for a command already completed.
  for (const r of log) {
    if (r.point === 'host.complete.writeHeader' && marked.has(r.gen) && marked.get(r.gen)!.seq > r.seq)
      v('I2', `command ${r.gen} was marked cancelled after it had been written back`, marked.get(r.gen));
  }
  const bad = world.counter('audit.writeAfterFree') - o.auditBefore;
  if (bad > 0) v('I1', `the auditor saw ${bad} host writes into freed guest memory`);
  return out;
}

/** Classes the log shows (besides the ledger's). */
export function logTags(log: readonly PointRecord[]): Set<string> {
  const tags = new Set<string>();
  const marked = new Set<number>();
  const written = new Set<number>();
  for (const r of log) {
    if (r.point === 'device.cancel.mark') marked.add(r.gen);
    if (r.point === 'host.complete.readReq') written.add(r.gen);
    if (r.point === 'host.complete.checkCancelled' && marked.has(r.gen) && !written.has(r.gen))
      tags.add('completedCancelled');
  }
  return tags;
}

/** A record as a log line. */
export function logLine(r: PointRecord, t0: number): string {
  return `seq ${r.seq} +${(r.time - t0).toFixed(3)}ms slot${r.slot} ${r.point} addr=0x${r.addr.toString(16)} gen=${r.gen}`;
}
