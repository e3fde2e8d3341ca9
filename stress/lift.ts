// Lifting a threads run into a sim schedule (cancel-race.md 4.1: "the observed order is lifted into a sim
// schedule and replayed there"). The threads run's step log holds every point each thread passed, in one
// global order; the sim replays the same workload on a machine of the same shape (4 vCPUs, 2 host
// workers) with a strategy that follows the log: at each step it runs the actor whose next logged point
// comes first, lets virtual time pass ('any-order' time: the clock is a choice) when the actor the log
// wants next waits for a deadline, and fires timers as soon as they are due (real time does not wait).
// The decisions it took are an ordinary schedule file: it replays exactly, shrinks, and shows in Perfetto.
// The sim cannot always follow (timers and signals leave no point in the log; addresses differ): points
// it cannot place are skipped, and whether the lifted run breaks the same invariant is reported, not
// assumed.
import { type FaultName, type PointRecord, POINTS } from '../src/runtime/index.js';
import { firstStrategy, type Sim, type Strategy } from '../src/sim/index.js';
import type { Violation } from './oracle/invariants.js';
import { scheduleOf, type ScheduleFile } from './schedule.js';
import { runSim, type SimRunReport } from './sim-run.js';
import type { Workload } from './workload.js';

/** The shape of a threads run's machine (threads/pool.ts): what the lifted sim run must have too. */
const VCPUS = 4;
const HOST_WORKERS = 2;
/** How far ahead in a thread's log a point the sim reached may be looked for (skipping what it missed). */
const LOOKAHEAD = 40;

/** The workload as the threads executor ran it: 4 vCPUs, 2 host workers. */
export function threadsShaped(w: Workload): Workload {
  return { ...w, config: { ...w.config, vcpus: VCPUS, hostWorkers: HOST_WORKERS } };
}

/** What lifting found. */
export interface LiftResult {
  readonly run: SimRunReport;
  readonly schedule: ScheduleFile;
  /** Log points the sim passed in the order the log has them. */
  readonly followed: number;
  /** Log points it had to skip (the sim went another way there). */
  readonly skipped: number;
  readonly total: number;
  /** The sim run broke the invariant the threads run broke (undefined: there was none to compare). */
  readonly reproduced: boolean | undefined;
}

/** Lift a threads run (its workload, faults, main-phase log and first violation) into a sim schedule. */
export async function liftThreadsRun(
  w: Workload,
  log: readonly PointRecord[],
  faults: readonly FaultName[],
  target: Violation | undefined,
): Promise<LiftResult> {
  const shaped = threadsShaped(w);
  let guide: LogGuide | undefined;
  const run = await runSim({
    workload: shaped,
    strategy: (sim) => (guide = new LogGuide(log, sim, shaped)),
    profile: 'any-order',
    faults,
    trace: true,
  });
  const schedule = scheduleOf(run, {
    spec: undefined,
    strategy: 'lifted',
    profile: 'any-order',
    faults,
    workload: shaped,
  });
  const g = guide!;
  const v = run.violations[0];
  return {
    run,
    schedule,
    followed: g.followed,
    skipped: g.skipped,
    total: log.length,
    reproduced: target === undefined ? undefined : v !== undefined && v.inv === target.inv,
  };
}

/** The trace-ring slot of a sim actor, or 'host' for a completion (it ran on whichever worker). */
function slotOf(w: Workload, actor: string): number | 'host' | undefined {
  if (actor === 'device') return 0;
  if (actor.startsWith('complete#')) return 'host';
  if (actor.startsWith('host')) return 1 + VCPUS + Number(actor.slice(4));
  if (actor.startsWith('g')) {
    const t = w.threads[Number(actor.slice(1))];
    return t === undefined ? undefined : 1 + t.vcpu;
  }
  return undefined;
}

/** A strategy that follows a threads log, one queue of points per thread. */
class LogGuide implements Strategy {
  private readonly queues = new Map<number, PointRecord[]>();
  private readonly heads = new Map<number, number>();
  private readonly sim: Sim;
  private readonly w: Workload;
  private readonly hostSlots: number[];
  followed = 0;
  skipped = 0;

  constructor(log: readonly PointRecord[], sim: Sim, w: Workload) {
    this.sim = sim;
    this.w = w;
    for (const r of log) {
      let q = this.queues.get(r.slot);
      if (q === undefined) this.queues.set(r.slot, (q = []));
      q.push(r);
    }
    for (const s of this.queues.keys()) this.heads.set(s, 0);
    this.hostSlots = Array.from({ length: HOST_WORKERS }, (_, h) => 1 + VCPUS + h);
  }

  private head(slot: number): PointRecord | undefined {
    return this.queues.get(slot)?.[this.heads.get(slot) ?? 0];
  }

  /** Where in `slot`'s queue point `name` next comes (within the lookahead), or -1. */
  private find(slot: number, name: string): number {
    const q = this.queues.get(slot);
    if (q === undefined) return -1;
    const from = this.heads.get(slot) ?? 0;
    for (let i = from; i < q.length && i < from + LOOKAHEAD; i++) if (q[i]!.point === name) return i;
    return -1;
  }

  /** The log position an actor would take next: [seq, slot, index of its point] (index -1: no point yet). */
  private candidate(id: string): [number, number, number] | undefined {
    const slot = slotOf(this.w, id);
    if (slot === undefined) return undefined;
    const e = this.sim.pendingEffect(id);
    const slots = slot === 'host' ? this.hostSlots : [slot];
    let best: [number, number, number] | undefined;
    for (const s of slots) {
      let c: [number, number, number] | undefined;
      if (e?.k === 'point') {
        const i = this.find(s, POINTS[e.id]!);
        if (i >= 0) c = [this.queues.get(s)![i]!.seq, s, i];
      } else if (slot !== 'host') {
        // Unstarted, or a wait that can end now: its next point is whatever its thread logged next.
        const h = this.head(s);
        if (h !== undefined) c = [h.seq, s, -1];
      }
      if (c !== undefined && (best === undefined || c[0] < best[0])) best = c;
    }
    return best;
  }

  pick(enabled: readonly string[], step: number): number {
    const timer = enabled.indexOf('timer');
    if (timer >= 0) return timer;
    let best = -1;
    let bestC: [number, number, number] | undefined;
    for (let i = 0; i < enabled.length; i++) {
      const c = this.candidate(enabled[i]!);
      if (c !== undefined && (bestC === undefined || c[0] < bestC[0])) {
        best = i;
        bestC = c;
      }
    }
    // The thread the log wants next waits for a deadline: let time pass for it.
    const clock = enabled.indexOf('clock');
    if (clock >= 0 && this.waitsForTime(bestC?.[0] ?? Infinity)) return clock;
    if (best < 0 || bestC === undefined) return clock >= 0 ? clock : firstStrategy.pick(enabled, step);
    const [, slot, index] = bestC;
    if (index >= 0) {
      const from = this.heads.get(slot)!;
      this.skipped += index - from;
      this.followed++;
      this.heads.set(slot, index + 1);
    }
    return best;
  }

  /** Is the log's earliest pending point (before `seq`) a thread's that sleeps until a deadline? */
  private waitsForTime(seq: number): boolean {
    for (const [slot, q] of this.queues) {
      const h = q[this.heads.get(slot)!];
      if (h === undefined || h.seq >= seq) continue;
      for (const id of this.sim.actorIds()) {
        if (slotOf(this.w, id) !== slot) continue;
        const e = this.sim.pendingEffect(id);
        if (e?.k === 'wait' && e.deadline < Infinity) return true;
      }
    }
    return false;
  }
}
