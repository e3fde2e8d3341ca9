// The threads executor's offline oracles over the trace ring (every point every thread passed, in one
// global order): what the order of points alone can prove - a cancelled command written back (I2), a
// command completed twice (I3), the auditor's write after free (I1), a call started after its client's
// disconnect (I16 D1), a "not found" cancel of a command nothing removed (I17 L2), a DONE the legacy
// fallback's flags store lost (I10) - and the classes the log shows.
import { Status } from '../../src/abi/index.js';
import type { PointRecord } from '../../src/runtime/index.js';
import type { CallRecord, ClientOpRecord } from '../workload.js';
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

/** What the session checks need besides the log. */
export interface SessionLogInput {
  readonly calls: readonly CallRecord[];
  readonly ops: readonly ClientOpRecord[];
  /** The host may lose calls in this run (host-drop: a removal without a point of its own). */
  readonly hostDrops: boolean;
  /** Ms of clock skew allowed between the ledger's stamps and the ring's (different threads' clocks). */
  readonly skewMs?: number;
  /** The run's start (epoch ms): violation times are ms since. */
  readonly t0: number;
}

/**
 * I16 D1 and I17 L2 from the log (session.ts states the rules). A call's command is found through its
 * request: the device's enlist at the request's address after the guest filled that generation. Calls
 * whose records the ring no longer holds are skipped.
 */
export function checkSessionLog(log: readonly PointRecord[], i: SessionLogInput): Violation[] {
  const out: Violation[] = [];
  const skew = i.skewMs ?? 2;
  const gone = new Map<number, number>();
  for (const op of i.ops)
    if (op.k === 'disconnect' && op.rc === Status.VINF_SUCCESS) gone.set(op.clientId, op.end);
  for (const c of i.calls) {
    if (c.request === undefined) continue;
    const { addr, gen } = c.request;
    const fill = log.findIndex((r) => r.point === 'guest.fill' && r.addr === addr && r.gen === gen);
    if (fill < 0) continue;
    const enlist = log.findIndex((r, k) => k > fill && r.point === 'device.enlist' && r.addr === addr);
    if (enlist < 0) continue;
    // A call the device refused (its client already gone) was never enlisted: an enlist after the guest
    // filled the next request at the same address belongs to that request, not to this call.
    const refill = log.findIndex((r, k) => k > fill && r.point === 'guest.fill' && r.addr === addr);
    if (refill >= 0 && refill < enlist) continue;
    const id = log[enlist]!.gen;
    const disconnectedAt = gone.get(c.clientId);
    if (disconnectedAt !== undefined) {
      const started = log.find((r, k) => k > enlist && r.point === 'host.isCancelled' && r.gen === id);
      if (started !== undefined && started.time > disconnectedAt + skew)
        out.push(
          at(
            started,
            i.t0,
            'I16',
            `D1: call ${c.tag}'s command ${id} reached the service ${(started.time - disconnectedAt).toFixed(1)} ms after its client's disconnect returned`,
          ),
        );
    }
    const lost = lostDone(log, c, fill);
    if (lost !== undefined) out.push(at(lost.store, i.t0, 'I10', lost.detail));
    if (c.cancelRc === Status.VERR_NOT_FOUND && !i.hostDrops) {
      // The grace wait begins once the (last) cancel answered "not found": the command had left the list.
      const grace = log.findIndex((r, k) => k > enlist && r.point === 'guest.graceCheck' && r.addr === addr);
      if (grace < 0) continue;
      const removed = log.some(
        (r, k) => k > enlist && k < grace && r.point === 'host.complete.remove' && r.gen === id,
      );
      if (!removed)
        out.push(
          at(
            log[grace]!,
            i.t0,
            'I17',
            `L2: call ${c.tag}'s cancel found no command ${id}, yet no completion had removed it (it vanished from the pending list)`,
          ),
        );
    }
  }
  return out;
}

/**
 * I10 from the log, for the legacy cancel (an old host): the guest marks the request CANCELLED, then
 * re-submits it as HGCMCancel. A DONE the host set before that flags store (host.complete.setDone at the
 * request's address between its fill and guest.fallbackSetFlags: the address is the request's all along)
 * must survive it, the store being an OR; the cancel then finds nothing and the grace wait sees DONE, so
 * the call completes. A call that did not, after such a DONE, lost it (the sim sees the lost bit itself).
 */
function lostDone(
  log: readonly PointRecord[],
  c: CallRecord,
  fill: number,
): { store: PointRecord; detail: string } | undefined {
  if (!c.fallback || c.outcome === 'completed' || c.request === undefined) return undefined;
  const addr = c.request.addr;
  const store = log.findIndex((r, k) => k > fill && r.point === 'guest.fallbackSetFlags' && r.addr === addr);
  if (store < 0) return undefined;
  const done = log.findIndex(
    (r, k) => k > fill && k < store && r.point === 'host.complete.setDone' && r.addr === addr,
  );
  if (done < 0) return undefined;
  const detail = `call ${c.tag}: the host set DONE (seq ${log[done]!.seq}) before the legacy cancel's flags store (seq ${log[store]!.seq}), yet the call ended ${c.outcome ?? 'without an outcome'}: the store lost DONE`;
  return { store: log[store]!, detail };
}

function at(r: PointRecord, t0: number, inv: InvariantId, detail: string): Violation {
  const ms = Math.round((r.time - t0) * 1000) / 1000;
  return { inv, phase: 'main', step: r.seq, at: ms, actor: `slot${r.slot}`, detail };
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
