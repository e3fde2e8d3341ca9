// The oracles that run once a run is over (either executor): how the run ended (I6, I14), the per-call
// trichotomy and the leak accounting against counters and heaps (I4), each call's data (I8), the grace
// rule from the recorded timeline (I5, sim only) and the file history (I12: the histfile service's file,
// and the real host file a run's Shared Folders writes went to).
import { RT_SUCCESS, Status } from '../../src/abi/index.js';
import type { CounterName, FaultName } from '../../src/runtime/index.js';
import { CmdField } from '../../src/vmmdev/index.js';
import { histFileBytes } from '../services/histfile.js';
import { initialContent, payloadByte, type Ledger, type ServiceName, type Workload } from '../workload.js';
import { checkFileHistory, type FileOp } from '../../src/programs/index.js';
import type { InvariantId, Violation } from './invariants.js';
import type { Monitor } from './monitor.js';
import { checkOutcomes } from './outcome.js';
import { sessionProblems } from './session.js';
import type { World } from './world.js';

/** Counters and heap figures taken when the threads start, to compare the end against. */
export interface Baseline {
  readonly counters: Readonly<Record<string, number>>;
  readonly physLive: number;
  readonly dataLive: number;
  readonly quarantined: number;
  /** Command slots taken and request-copy bytes the host held (I18). */
  readonly slots: number;
  readonly snapshotBytes: number;
}

const ACCOUNTED: readonly CounterName[] = [
  'guest.calls',
  'guest.sync',
  'guest.completed',
  'guest.cancelled',
  'guest.leaked',
  'guest.leakedBytes',
];

/** Take the baseline now. */
export function baseline(w: World): Baseline {
  const counters: Record<string, number> = {};
  for (const c of ACCOUNTED) counters[c] = w.counter(c);
  return {
    counters,
    physLive: w.phys.stats().liveBlocks,
    dataLive: w.data.stats().liveBlocks,
    quarantined: w.phys.stats().quarantinedBytes + w.data.stats().quarantinedBytes,
    slots: w.takenSlots().length,
    snapshotBytes: w.snapshotBytes(),
  };
}

/** What the final checks need. */
export interface FinalInput {
  readonly world: World;
  readonly ledger: Ledger;
  readonly workload: Workload;
  /** Faults switched on besides the workload's own (the run's mutations). */
  readonly faults: readonly FaultName[];
  readonly base: Baseline;
  /** How the run ended; 'hang' is the threads watchdog's verdict. */
  readonly status: 'done' | 'deadlock' | 'step-limit' | 'hang';
  /** Guest actors or threads that never returned, with what they were doing. */
  readonly blocked: readonly string[];
  /** The sim's model (undefined under threads: the timeline checks need virtual time). */
  readonly monitor: Monitor | undefined;
  /** Whether virtual time only moved when nothing could run (I5's upper bound needs that). */
  readonly realistic: boolean;
  readonly at: number;
  /** The shared file's bytes at the end (the workload has a share). */
  readonly sharedFile?: Uint8Array | undefined;
  /** Threads: when signals were posted to each vCPU, in the ledger's clock (the outcome oracle's O5). */
  readonly signalTimes?: readonly (readonly number[])[];
  /** Only the checks the harness had before I15-I17 (tests showing what those add). */
  readonly legacy?: boolean;
}

/**
 * What the checks report a violation through: it goes into `out`. (Made here, not as a named closure in
 * finalChecks: under tsx every named closure is also a defineProperty for its name, and this runs for
 * every run of a campaign.)
 */
function reporter(out: Violation[], at: number): (inv: InvariantId, detail: string, actor?: string) => void {
  return (inv, detail, actor = 'end') => {
    out.push({ inv, phase: 'end', step: -1, at, actor, detail });
  };
}

/** Every violation the end of the run shows (empty: the run passed). */
export function finalChecks(i: FinalInput): Violation[] {
  const out: Violation[] = [];
  const v = reporter(out, i.at);
  if (i.status !== 'done') {
    v('I6', `the run ended ${i.status}: ${i.blocked.join('; ') || 'nothing'} never returned`);
    return out;
  }
  const { world: w, ledger } = i;
  // I14: nothing left on the host but commands it lost on purpose (calls of a client that is gone).
  for (const s of w.pendingForLiveClients())
    v('I14', `command ${w.cmds.get(s, CmdField.ID)} still pending for a connected client at the end`);
  if (w.phys.stats().liveBlocks !== i.base.physLive)
    v('I14', `${w.phys.stats().liveBlocks - i.base.physLive} request blocks neither freed nor quarantined`);
  if (w.data.stats().liveBlocks !== i.base.dataLive)
    v('I14', `${w.data.stats().liveBlocks - i.base.dataLive} program buffers neither freed nor quarantined`);
  if (i.workload.reclaim === true) reclaim(i, v);
  accounting(i, v);
  for (const c of ledger.calls) {
    if (c.outcome === 'completed' && c.dataOk === false)
      v('I8', `call ${c.tag} (${c.plan.op}) completed with outputs that are not its own`, `g${c.thread}`);
    if (c.writtenAfterCancel)
      v('I2', `call ${c.tag} was cancelled but its output buffer was written`, `g${c.thread}`);
  }
  if (i.monitor !== undefined) graceRule(i, i.monitor, v);
  if (i.legacy !== true) extended(i, v);
  fileHistory(i, v);
  return out;
}

/** I15-I17: each call's end against what it asked for; disconnects; the cause of each leak. */
function extended(i: FinalInput, v: (inv: InvariantId, d: string, a?: string) => void): void {
  const m = i.monitor;
  const faults = [...(i.workload.config.faults ?? []), ...i.faults];
  for (const p of checkOutcomes({
    workload: i.workload,
    faults,
    calls: i.ledger.calls,
    realistic: i.realistic && m !== undefined,
    ...(m === undefined
      ? { signalTimes: i.signalTimes ?? [] }
      : { facts: m.calls.get.bind(m.calls), written: m.calls.written.bind(m.calls) }),
  }))
    v('I15', p.detail, p.actor);
  for (const p of sessionProblems(i.world, faults, i.ledger.calls)) v(p.inv, p.detail, p.actor);
}

/**
 * I18: the guests are gone (every thread returned, every client disconnected), so the host holds no command
 * slot and no request copy beyond what it held when the threads started; a loss the host counts (a host
 * drop frees what it drops) is no exception.
 */
function reclaim(i: FinalInput, v: (inv: InvariantId, d: string, a?: string) => void): void {
  const w = i.world;
  const held = w.takenSlots();
  if (held.length > i.base.slots)
    v(
      'I18',
      `${held.length - i.base.slots} command slots still held after every client is gone: ${held
        .slice(0, 4)
        .map((s) => `command ${w.cmds.get(s, CmdField.ID)} (state ${w.cmds.get(s, CmdField.STATE)})`)
        .join(', ')}`,
    );
  if (w.snapshotBytes() > i.base.snapshotBytes)
    v('I18', `${w.snapshotBytes() - i.base.snapshotBytes} bytes of request copies still held by the host`);
}

/** How much a counter grew since the run's baseline (a factory: see reporter). */
function counterDelta(w: World, base: Baseline): (c: CounterName) => number {
  return (c) => (w.counter(c) - (base.counters[c] ?? 0)) >>> 0;
}

/** I4: one outcome per call; counters, ledger and quarantine agree. */
function accounting(i: FinalInput, v: (inv: InvariantId, d: string, a?: string) => void): void {
  const { world: w, ledger, base } = i;
  const d = counterDelta(w, base);
  const submitted = ledger.calls.filter((c) => c.request !== undefined);
  const sum = d('guest.sync') + d('guest.completed') + d('guest.cancelled') + d('guest.leaked');
  if (sum !== d('guest.calls'))
    v('I4', `${d('guest.calls')} calls submitted but ${sum} ended as sync, completed, cancelled or leaked`);
  if (submitted.length !== d('guest.calls'))
    v('I4', `the threads made ${submitted.length} calls, the guest library counted ${d('guest.calls')}`);
  const leaked = submitted.filter((c) => c.outcome === 'leaked').length;
  if (leaked !== d('guest.leaked'))
    v('I4', `${leaked} calls returned leaked, the library counted ${d('guest.leaked')}`);
  const leakedBytes = ledger.calls.reduce((a, c) => a + c.leakedBytes, 0);
  const quarantined = w.phys.stats().quarantinedBytes + w.data.stats().quarantinedBytes - base.quarantined;
  if (leakedBytes !== d('guest.leakedBytes') || leakedBytes !== quarantined)
    v(
      'I4',
      `leaked bytes: calls ${leakedBytes}, counter ${d('guest.leakedBytes')}, quarantined ${quarantined}`,
    );
  for (const c of submitted) {
    const who = `g${c.thread}`;
    if (c.outcome === 'cancelled' && !(c.cancelRc !== undefined && RT_SUCCESS(c.cancelRc)))
      v('I4', `call ${c.tag} returned cancelled without a successful cancel`, who);
    if (c.outcome === 'leaked' && (c.cancelRc === undefined || RT_SUCCESS(c.cancelRc)))
      v('I4', `call ${c.tag} leaked although its cancel succeeded`, who);
    if (c.outcome === 'completed' && c.rc !== Status.VINF_SUCCESS)
      v('I4', `call ${c.tag} completed with rc ${c.rc}`, who);
  }
}

/** I5: leak exactly when the cancel failed and DONE missed the grace that rc calls for (sim timeline). */
function graceRule(i: FinalInput, m: Monitor, v: (inv: InvariantId, d: string, a?: string) => void): void {
  const cfg = i.world.config.guest;
  for (const c of i.ledger.calls) {
    if (c.request === undefined || c.cancelRc === undefined || RT_SUCCESS(c.cancelRc)) continue;
    const r = m.reqAt(c.request.addr, c.request.gen);
    if (r?.graceStart === undefined) continue;
    const notFound = c.cancelRc === Status.VERR_NOT_FOUND || c.cancelRc === Status.VERR_SEM_DESTROYED;
    const grace = notFound ? cfg.graceNotFoundMs : cfg.graceOtherMs;
    const end = r.graceStart.at + grace;
    const who = `g${c.thread}`;
    if (c.outcome === 'leaked') {
      const at = r.leakAt?.at ?? -1;
      if (at < end)
        v(
          'I5',
          `call ${c.tag} leaked ${at - r.graceStart.at} ms into a ${grace} ms grace (cancel rc ${c.cancelRc})`,
          who,
        );
      else if (i.realistic && at > end)
        v(
          'I5',
          `call ${c.tag} leaked ${at - r.graceStart.at} ms into a ${grace} ms grace: it waited too long`,
          who,
        );
    } else if (i.realistic && c.outcome === 'completed' && r.doneAt !== undefined && r.doneAt.at > end) {
      // (With 'any-order' time the clock may jump past the grace while the guest sleeps; it then checks
      // DONE before the deadline, as wait_event_timeout does, and may legitimately see a late DONE.)
      v(
        'I5',
        `call ${c.tag}: DONE came ${r.doneAt.at - r.graceStart.at} ms after a ${grace} ms grace began, yet it was not leaked`,
        who,
      );
    }
  }
}

/** I12: the histfile service's file, and the share's host file, against the writes the threads made. */
function fileHistory(i: FinalInput, v: (inv: InvariantId, d: string, a?: string) => void): void {
  const spec = i.world.shared.services.find((s) => s.name === 'histfile');
  if (spec?.shared !== undefined) {
    // histfile polls the cancel mark right before its write: an :info write lands by its end or never.
    const bad = check(i, 'histfile', histFileBytes(spec.shared), false);
    if (bad !== undefined) v('I12', `histfile: ${bad}`);
  }
  if (i.workload.share !== undefined) {
    if (i.sharedFile === undefined) {
      v('I12', 'the shared file was not read at the end');
      return;
    }
    // A Shared Folders write whose cancel succeeded after the host copied its input still lands, maybe
    // after later writes: an :info write lands any time after its start, or never.
    const bad = check(i, 'sf', i.sharedFile, true);
    if (bad !== undefined) v('I12', `shared file: ${bad}`);
  }
}

/** The first thing the writes on `service`'s clients cannot explain in `content`, if any. */
function check(i: FinalInput, service: ServiceName, content: Uint8Array, late: boolean): string | undefined {
  const ops: FileOp[] = i.ledger.calls
    .filter((c) => c.plan.op === 'write' && i.workload.clients[c.plan.client]?.service === service)
    .map((c) => ({
      tag: c.tag,
      offset: c.plan.offset,
      len: c.plan.bytes,
      written: c.written,
      status: c.outcome === 'completed' ? 'ok' : c.outcome === 'sync' ? 'fail' : 'info',
      start: c.start,
      end: c.end,
      ...(late ? { landsBy: Infinity } : {}),
    }));
  if (service === 'histfile')
    return ops.length === 0 ? undefined : checkFileHistory(ops, content, payloadByte);
  const initial = initialContent(i.workload.share ?? { initial: 0 });
  return checkFileHistory(ops, content, payloadByte, { initial, whole: true });
}
