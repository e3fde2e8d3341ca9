// The coordinator of a controlled-threads run (issue 17): on the main thread, it watches every thread of a
// controlled machine through its control block (src/runtime/control.ts), waits until no thread runs and
// every thread whose sleep is over (or whose service timer is due) has stopped at its gate, then lets one
// parked thread take one step, chosen by a sim strategy (random, PCT) or by a recorded decision list
// (replay). Time is virtual (src/runtime/control-clock.ts): when nothing can run, the coordinator moves the
// clock to the earliest deadline, service timer or timed signal, as the sim's 'realistic' profile does, so
// a seed replays a run. The workload's soft holds (its directed prefixes) stop a thread at a gate as the sim
// stops an actor: in realistic time a guest's deadline passes only when the host is idle, so a cancel that
// must land in the middle of a completion needs them. Signals are fired between two steps and logged as
// decisions too. A run that cannot go on (nothing parked, nothing due to wake, no time to move to, no
// progress for hangMs) ends as stuck with a picture of every thread, never as a hang.
import {
  ControlBlock,
  GateAt,
  POINTS,
  PointId,
  ThreadState,
  type ThreadView,
} from '../../src/runtime/index.js';
import type { Strategy } from '../../src/sim/index.js';

/**
 * One decision: a thread granted a step at a gate (point id or GateAt), a signal fired at a vCPU, or (in
 * 'any-order' time) virtual time moved on to the next instant someone waits for (ms since the phase began).
 */
export type Decision =
  readonly [actor: string, at: number] | readonly ['signal', vcpu: number] | readonly ['clock', ms: number];

/** What the coordinator needs. */
export interface CoordinatorOptions {
  readonly block: ControlBlock;
  /** A name per slot (device, vcpu0..., host0..., main): the strategy's actors. */
  readonly names: readonly string[];
  /** Chooses among the parked threads (ignored while following a recording). */
  readonly strategy: Strategy;
  /** A recorded decision list to follow (replay); the strategy chooses only once it is used up. */
  readonly follow?: readonly Decision[] | undefined;
  /** Fire a signal at a vCPU (Machine.signal). */
  readonly signal: (vcpu: number) => void;
  /** No thread parks, none is due to wake and nothing changes for this long: stuck (ms, default 5000). */
  readonly hangMs?: number;
  /**
   * Threads that must reach a gate before the first decision (the vCPUs whose programs the phase starts):
   * programs start through messages, and deciding before they all arrive would make the start a race.
   */
  readonly expect?: readonly string[] | undefined;
  /**
   * How long to wait for a thread whose sleep is over to reach its gate before deciding without it (wall
   * ms; default 2000: with virtual time nothing is late for waiting, and a decision taken without a thread
   * that was due is one a replay may not repeat).
   */
  readonly wakeMs?: number;
  /**
   * The sim's 'any-order' time profile: moving the clock on is one more choice of the strategy whenever
   * someone waits for a time, so a timeout may fire while the host could still run. Otherwise 'realistic':
   * time moves only when nothing can run.
   */
  readonly anyOrder?: boolean | undefined;
  /**
   * Does the thread of this name run though it looks outside: a vCPU with a program the caller started
   * that has not returned to the caller yet (the coordinator waits for it, so that the end of the phase
   * and a program's start fall at the same decision in every run)?
   */
  readonly owes?: ((name: string) => boolean) | undefined;
  /**
   * Asked whenever time must pass (nothing can run): the threads asleep in a call's completion wait (the
   * request's address, from their guest.sleep point); says what is wrong (I6: an interruptible wait
   * sleeping through a pending signal), if anything. The run then ends, as stuck ones do.
   */
  readonly checkSleepers?:
    ((asleep: readonly { name: string; addr: number }[]) => string | undefined) | undefined;
  /** Signals at virtual times (ms after the phase began), fired once the clock reaches them. */
  readonly timed?: readonly { readonly at: number; readonly vcpu: number }[] | undefined;
  /**
   * The workload's directed prefixes, as the sim keeps them (Sim.holdAt, soft): a thread parked at a
   * hold's gate is not offered to the strategy until the hold's condition is true; one-shot (gone once it
   * was true at that gate), and let go when nothing else can run and no time is left to pass.
   */
  readonly holds?: readonly CoordinatorHold[] | undefined;
}

/** A soft hold over the controlled machine's threads (controlled/phase.ts makes them from HoldPlans). */
export interface CoordinatorHold {
  /** Does it stop the thread of this name? */
  readonly actor: (name: string) => boolean;
  /** The gate it stops that thread at (a point id). */
  readonly at: number;
  /** True once the thread may go on, given the parked threads (by name, at their gates). */
  readonly until: (parked: readonly { readonly name: string; readonly at: number }[]) => boolean;
}

/** How a coordinated phase ended. */
export interface CoordinatorResult {
  readonly decisions: Decision[];
  /** Steps granted (decisions less signals). */
  readonly steps: number;
  readonly status: 'done' | 'stuck' | 'fault';
  /** Stuck: every thread's state when the coordinator gave up. */
  readonly picture: string[];
  /** Following a recording: the first decision the run could not take as recorded. */
  readonly divergence: string | undefined;
  /** Following a recording: decisions taken as recorded, and those skipped, inserted or changed. */
  readonly followed: number;
  readonly mismatches: number;
  /** Decisions taken without a thread that was due to wake (it did not reach its gate within wakeMs). */
  readonly lateWakes: number;
  /** Wall time of the coordinated phase (ms). */
  readonly ms: number;
  /** What checkSleepers found when time had to pass, if anything (the run ended there). */
  readonly sleeperFault: string | undefined;
}

const wall = (): number => performance.timeOrigin + performance.now();

/** A gate's name for logs and pictures. */
export function gateName(at: number): string {
  return at === GateAt.start ? 'start' : at === GateAt.wake ? 'wake' : (POINTS[at] ?? `point ${at}`);
}

/** Drives one phase of a controlled machine. */
export class Coordinator {
  private readonly o: CoordinatorOptions;
  private readonly decisions: Decision[] = [];
  private readonly queued: number[] = [];
  private steps = 0;
  private divergence: string | undefined;
  /** Following a recording: the next recorded decision, those taken as recorded, and the others. */
  private k = 0;
  private followed = 0;
  private mismatches = 0;
  private lateWakes = 0;
  private t0 = 0;
  /** Slots already counted in lateWakes for their current sleep. */
  private readonly late = new Set<number>();
  /** When each slot was first seen due to wake (wall ms), while it has not parked. */
  private readonly dueSince = new Map<number, number>();
  /** Timed signals not fired yet (virtual ms since the epoch), earliest first. */
  private timed: { at: number; vcpu: number }[] = [];
  /** Virtual time when the phase began (ms since the epoch). */
  private v0 = 0;
  /** Threads in a call's completion wait: the request's address (from guest.sleep to guest.wake). */
  private readonly inWait = new Map<number, number>();
  private sleeperFault: string | undefined;
  /** The holds still in force (soft holds are one-shot). */
  private readonly holds: CoordinatorHold[];

  constructor(o: CoordinatorOptions) {
    this.o = o;
    // A recording already holds the order the holds forced: following it, they would only get in its way.
    this.holds = o.follow === undefined ? [...(o.holds ?? [])] : [];
  }

  /** Queue a signal for vCPU `vcpu`; it is fired (and logged) before the next decision. */
  post(vcpu: number): void {
    this.queued.push(vcpu);
  }

  /** Decide until `done()` holds (every program of the phase returned) or the run is stuck. */
  async run(done: () => boolean): Promise<CoordinatorResult> {
    const b = this.o.block;
    // A pending Atomics.waitAsync does not keep Node's event loop alive (and the machine's workers are
    // unref'd): without this the process could exit mid-run.
    const alive = setInterval(() => {}, 1000);
    this.t0 = performance.now();
    b.enable();
    const v0 = (this.v0 = b.now);
    this.timed = (this.o.timed ?? [])
      .map((s) => ({ at: v0 + s.at, vcpu: s.vcpu }))
      .sort((x, y) => x.at - y.at);
    try {
      for (;;) {
        const s = await this.settle(done);
        if (s === 'done' || s === 'stuck' || s === 'fault') return this.result(s);
        this.decide(s.parked, s.next);
      }
    } finally {
      b.disable();
      clearInterval(alive);
    }
  }

  /**
   * One decision over the parked threads (and, in 'any-order' time, the clock, when time has somewhere to
   * go: `next`): a recorded one while the run follows it, else the strategy's.
   */
  private decide(parked: ThreadView[], next: number): void {
    const o = this.o;
    if (o.follow !== undefined && this.follow(o.follow, parked, next)) return;
    const vcpu = o.follow === undefined ? this.queued.shift() : undefined;
    if (vcpu !== undefined) return this.fire(vcpu);
    const actors = parked.map((p) => o.names[p.slot]!);
    if (o.anyOrder === true && next !== Infinity) actors.push('clock');
    const i = o.strategy.pick(actors, this.steps);
    if (i === parked.length) this.tick(next);
    else this.grant(parked[i]!);
  }

  /** Move virtual time on to `next` as a decision. */
  private tick(next: number): void {
    this.decisions.push(['clock', Math.round((next - this.v0) * 1000) / 1000]);
    this.o.block.advance(next);
  }

  /**
   * Take the recording's next decision where the run allows it (true), keeping to it across small
   * differences real threads make: a wait that needs one more wake round than recorded (or one fewer), a
   * recorded thread that is not parked (skipped). False when the recording is used up.
   */
  private follow(follow: readonly Decision[], parked: ThreadView[], next: number): boolean {
    const names = this.o.names;
    for (;;) {
      const want = follow[this.k];
      if (want === undefined) {
        this.leave(`the recording ends (${follow.length} decisions) but the run goes on`);
        return false;
      }
      if (want[0] === 'signal') {
        this.k++;
        this.fire(want[1]);
        return true;
      }
      if (want[0] === 'clock') {
        this.k++;
        if (next !== Infinity) {
          this.followed++;
          this.tick(next);
          return true;
        }
        this.leave(`decision ${this.k - 1}: recorded a clock move, but nobody waits for a time`);
        continue;
      }
      const v = parked.find((p) => names[p.slot] === want[0]);
      if (v !== undefined && v.at === want[1]) {
        this.k++;
        this.followed++;
        this.grant(v);
        return true;
      }
      const where = `decision ${this.k}: recorded ${want[0]} at ${gateName(want[1])}, parked `;
      this.leave(where + (parked.map((p) => `${names[p.slot]} at ${gateName(p.at)}`).join(', ') || 'none'));
      // One more wake round than recorded: grant it and keep the recorded decision for the next one.
      if (v !== undefined && v.at === GateAt.wake) {
        this.grant(v);
        return true;
      }
      this.k++;
      // Not parked, or the recording's wake round the run did not need: skip the recorded decision.
      if (v === undefined || want[1] === GateAt.wake) continue;
      this.grant(v);
      return true;
    }
  }

  private leave(why: string): void {
    this.mismatches++;
    this.divergence ??= why;
  }

  private fire(vcpu: number): void {
    this.decisions.push(['signal', vcpu]);
    this.o.signal(vcpu);
  }

  /** Hand the threads asleep in a call's wait to checkSleepers; true if it found a fault. */
  private checkSleepers(): boolean {
    const check = this.o.checkSleepers;
    if (check === undefined) return false;
    const asleep = [...this.inWait]
      .filter(([s]) => this.o.block.view(s).state === ThreadState.blocked)
      .map(([s, addr]) => ({ name: this.o.names[s]!, addr }));
    this.sleeperFault = check(asleep);
    return this.sleeperFault !== undefined;
  }

  private grant(v: ThreadView): void {
    // A call's completion wait runs from its guest.sleep point to its guest.wake (the ISR's points come
    // in between, on the waiting thread).
    if (v.at === PointId['guest.sleep']) this.inWait.set(v.slot, v.addr);
    else if (v.at === PointId['guest.wake']) this.inWait.delete(v.slot);
    this.decisions.push([this.o.names[v.slot]!, v.at]);
    this.steps++;
    this.o.block.grant(v.slot);
  }

  /**
   * Wait until no thread runs, every thread due to wake has parked (or overstayed wakeMs) and every due
   * service timer has fired, then return the parked threads. With none parked, move virtual time to the
   * earliest deadline, timer or timed signal; with nothing to move to, wait for a real event (a program
   * starting, the host's I/O) up to hangMs.
   */
  private async settle(
    done: () => boolean,
  ): Promise<{ parked: ThreadView[]; next: number } | 'done' | 'stuck' | 'fault'> {
    const b = this.o.block;
    const hangMs = this.o.hangMs ?? 5000;
    const wantSignal = this.o.follow?.[this.k]?.[0] === 'signal';
    let lastChange = wall();
    const waitFrom = lastChange;
    let seen = b.change;
    for (;;) {
      if (done()) return 'done';
      const vnow = b.now;
      while (this.timed.length > 0 && this.timed[0]!.at <= vnow) this.queued.push(this.timed.shift()!.vcpu);
      const look = this.look(vnow);
      const parked = this.unheld(look.parked);
      let busy = look.busy;
      const missing =
        this.decisions.length === 0 &&
        (this.o.expect ?? []).some((n) => !look.parked.some((p) => this.o.names[p.slot] === n));
      if (missing) busy = true;
      // Following a recording: wait for the recorded thread, unless time must move to wake it.
      const want = this.wanted();
      if (want !== undefined && !busy && !parked.some((p) => this.o.names[p.slot] === want)) {
        const slot = this.o.names.indexOf(want);
        const v = slot < 0 ? undefined : b.view(slot);
        const sleeps =
          v?.state === ThreadState.blocked && b.deadline(slot) !== Infinity && parked.length === 0;
        if (!sleeps && wall() - waitFrom < hangMs) busy = true;
      }
      const next = Math.min(look.next, this.timed[0]?.at ?? Infinity);
      if (!busy && (parked.length > 0 || wantSignal || this.queued.length > 0)) return { parked, next };
      if (!busy && next !== Infinity) {
        // Nothing can run: time passes (the sim's 'realistic' profile), to the first thing it wakes. Who
        // sleeps now is asleep for good unless time passes: what the sim's monitor checks here, so is this.
        if (this.checkSleepers()) return 'fault';
        b.advance(next);
        lastChange = wall();
        continue;
      }
      // Soft holds force an order while it can be had; they never turn a run into a stuck one.
      if (!busy && look.parked.length > 0 && this.letGo(look.parked)) continue;
      if (wall() - lastChange > hangMs) return 'stuck';
      await this.changed(seen, busy ? 5 : 20);
      const c = b.change;
      if (c !== seen) {
        seen = c;
        lastChange = wall();
      }
    }
  }

  /**
   * One look at every thread at virtual time `vnow`: the parked ones; busy while one runs, a due sleeper
   * has not parked yet (within wakeMs; it is nudged when first seen due) or a due timer has not fired; the
   * earliest deadline or timer still ahead.
   */
  private look(vnow: number): { parked: ThreadView[]; busy: boolean; next: number } {
    const b = this.o.block;
    const wakeMs = this.o.wakeMs ?? 2000;
    const now = wall();
    let busy = false;
    let next = Infinity;
    const parked: ThreadView[] = [];
    for (let s = 0; s < b.slots; s++) {
      const v = b.view(s);
      const timer = b.timer(s);
      // A due timer fires once the thread's event loop is free; a thread stopped in a step machine (at a
      // gate, or asleep in a real wait for some other thread) fires it after that.
      if (timer > vnow) next = Math.min(next, timer);
      else if (v.state !== ThreadState.parked && b.loopFree(s)) busy = true;
      if (v.state === ThreadState.running) busy = true;
      else if (v.state === ThreadState.outside) {
        if (this.o.owes?.(this.o.names[s]!) === true) busy = true;
      } else if (v.state === ThreadState.parked) {
        parked.push(v);
        this.dueSince.delete(s);
        this.late.delete(s);
      } else if (v.state === ThreadState.blocked) {
        const d = b.deadline(s);
        if (d > vnow) next = Math.min(next, d);
        if (!this.dueSince.has(s)) {
          if (b.waking(s, vnow) !== true) continue;
          // Every sleeper the nudge wakes is due too: it will stop at its WAKE gate.
          for (const t of b.nudge(s)) if (!this.dueSince.has(t)) this.dueSince.set(t, now);
          this.dueSince.set(s, now);
        }
        const since = this.dueSince.get(s)!;
        if (now - since < wakeMs) busy = true;
        else if (!this.late.has(s)) {
          this.late.add(s);
          this.lateWakes++;
        }
      }
    }
    return { parked, busy, next };
  }

  /**
   * The parked threads no hold stops: a hold whose condition is true at its gate is gone (as the sim's
   * soft holds, one-shot).
   */
  private unheld(parked: ThreadView[]): ThreadView[] {
    if (this.holds.length === 0) return parked;
    const names = this.o.names;
    const at = parked.map((p) => ({ name: names[p.slot]!, at: p.at }));
    const stopped = (p: ThreadView): boolean => {
      let held = false;
      for (let i = this.holds.length - 1; i >= 0; i--) {
        const h = this.holds[i]!;
        if (h.at !== p.at || !h.actor(names[p.slot]!)) continue;
        if (h.until(at)) this.holds.splice(i, 1);
        else held = true;
      }
      return held;
    };
    return parked.filter((p) => !stopped(p));
  }

  /** Let go of every hold that stops a parked thread (nothing else can run); false if there was none. */
  private letGo(parked: readonly ThreadView[]): boolean {
    const names = this.o.names;
    const n = this.holds.length;
    for (let i = n - 1; i >= 0; i--) {
      const h = this.holds[i]!;
      if (parked.some((p) => p.at === h.at && h.actor(names[p.slot]!))) this.holds.splice(i, 1);
    }
    return this.holds.length < n;
  }

  /** The thread the recording wants next, while the run follows one. */
  private wanted(): string | undefined {
    const want = this.o.follow?.[this.k];
    return want === undefined || want[0] === 'signal' || want[0] === 'clock' ? undefined : want[0];
  }

  /** Until the bell moves from `seen` (a short spin, then waitAsync) or `ms` pass. */
  private async changed(seen: number, ms: number): Promise<void> {
    const bell = this.o.block.bell;
    for (let i = 0; i < 2000; i++) if (Atomics.load(bell.i32, bell.index) !== seen) return;
    const r = Atomics.waitAsync(bell.i32, bell.index, seen, ms);
    if (r.async) await r.value;
  }

  /** One thread as a stuck run's picture shows it: its state, and its deadline or timer if it has one. */
  private describe(s: number): string {
    const b = this.o.block;
    const v = b.view(s);
    const ahead = (t: number): string =>
      `${Math.round((t - b.now) * 1000) / 1000} ms of virtual time from now`;
    const timer = b.timer(s) === Infinity ? '' : `, a service timer due ${ahead(b.timer(s))}`;
    const name = `${this.o.names[s]!}: `;
    if (v.state === ThreadState.parked) return `${name}parked at ${gateName(v.at)}${timer}`;
    if (v.state === ThreadState.running) return `${name}running (granted or on its own)${timer}`;
    if (v.state === ThreadState.outside) return `${name}outside${timer}`;
    const d = b.deadline(s);
    return `${name}blocked${d === Infinity ? '' : ` until ${ahead(d)}`}${timer}`;
  }

  private result(status: CoordinatorResult['status']): CoordinatorResult {
    const b = this.o.block;
    const picture = status === 'done' ? [] : Array.from({ length: b.slots }, (_, s) => this.describe(s));
    return {
      decisions: this.decisions,
      steps: this.steps,
      status,
      picture,
      divergence: this.divergence,
      followed: this.followed,
      mismatches: this.mismatches,
      lateWakes: this.lateWakes,
      sleeperFault: this.sleeperFault,
      ms: performance.now() - this.t0,
    };
  }
}
