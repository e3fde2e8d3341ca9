// One stress run under the sim executor: build the machine, connect the shared clients (prelude), play the
// workload's threads under the chosen strategy with the online oracles watching every step (main), then
// disconnect (teardown) and run the final checks. The main phase's decisions are the run's schedule.
import type { FaultName, Proc } from '../src/runtime/index.js';
import {
  DivergenceError,
  firstStrategy,
  recording,
  type Sim,
  type SimObserver,
  type SimResult,
  type StepEvent,
  type Strategy,
  type TimeProfile,
  type TraceStep,
} from '../src/sim/index.js';
import { closeSession, GuestLib, Session } from '../src/vcpu/index.js';
import { outcomeTags } from './coverage.js';
import { shareContent, switchFaults } from './machine-config.js';
import { baseline, finalChecks, type Baseline } from './oracle/final.js';
import { ViolationError, type Violation } from './oracle/invariants.js';
import { Monitor } from './oracle/monitor.js';
import { World } from './oracle/world.js';
import { resolveRun, type ResolvedRun, type RunSpec } from './run-spec.js';
import { simMachines, type Lease, type SimMachinePool } from './sim-pool.js';
import {
  Ledger,
  connectShared,
  disconnectShared,
  runThread,
  type CallPlan,
  type HoldUntil,
  type Workload,
} from './workload.js';

/** How to run one workload under the sim. */
export interface SimRunOptions {
  readonly workload: Workload;
  /**
   * Chooses the main phase's steps (wrap it with `recording` yourself, or read `decisions`); a function
   * is given the sim first (a strategy that reads the actors' pending effects: lifting a threads log).
   */
  readonly strategy: Strategy | ((sim: Sim) => Strategy);
  readonly profile: TimeProfile;
  /** Mutations (or host faults) switched on besides the workload's own. */
  readonly faults?: readonly FaultName[];
  /** Main-phase steps before the run counts as not ending (I6). */
  readonly maxSteps?: number;
  /** Keep the main phase's trace (replay compares it; off saves memory in long campaigns). */
  readonly trace?: boolean;
  /** Tests: a fault applied from outside the protocol (see Tamper). */
  readonly tamper?: Tamper;
  /** Tests: only the oracles the harness had before I15-I17, to show what those add. */
  readonly legacyOracles?: boolean;
  /** Where machines come from (default: the process's pool). */
  readonly pool?: SimMachinePool;
}

/**
 * A fault applied from outside the protocol, for tests of the oracles: the rule stays intact in the
 * protocol code, and the test breaks it by changing the machine's state between steps (or what the guest
 * library is asked). Each stands in for a built-in mutant still to come (stress/README.md, "Mutations").
 */
export interface Tamper {
  /** After each step, once the oracles have seen it. */
  afterStep?(e: StepEvent, world: World): void;
  /** What the guest library is really given for each call's wait (default: the plan's). */
  waitOptions?(c: CallPlan): { timeoutMs: number; interruptible: boolean };
  /** After the last step, before the final checks. */
  beforeFinal?(world: World): void;
}

/** What one sim run found. */
export interface SimRunReport {
  /** Empty when the run passed. Online violations stop the run, so there is at most one of those. */
  readonly violations: readonly Violation[];
  readonly status: SimResult['status'] | 'violation' | 'diverged';
  /** Main-phase steps taken. */
  readonly steps: number;
  /** The actor chosen at each main-phase step: the schedule. */
  readonly decisions: readonly string[];
  readonly trace: readonly TraceStep[];
  readonly tags: ReadonlySet<string>;
  readonly ledger: Ledger;
  readonly time: number;
  /** Set when a replay met a state its schedule did not record. */
  readonly divergence: DivergenceError | undefined;
  readonly logs: readonly string[];
}

/** Forwards sim events to the monitor once it exists (the sim is built before the world it watches). */
class Relay implements SimObserver {
  target: SimObserver | undefined;
  tamper: ((e: StepEvent) => void) | undefined;
  /** The monitor keeps no event; a test's tamper may. */
  get transient(): boolean {
    return this.tamper === undefined;
  }
  afterStep(e: StepEvent): void {
    this.target?.afterStep?.(e);
    this.tamper?.(e);
  }
  beforeAdvance(to: number): void {
    this.target?.beforeAdvance?.(to);
  }
}

/** Run one workload once (on a machine from the pool, reset to its boot; with its share rewritten). */
export async function runSim(o: SimRunOptions): Promise<SimRunReport> {
  const relay = new Relay();
  const trace: TraceStep[] = [];
  const pool = o.pool ?? simMachines;
  const lease = await pool.get(o.workload, {
    profile: o.profile,
    observer: relay,
    trace: o.trace ?? true,
    maxSteps: o.maxSteps ?? 200_000,
  });
  let clean = false;
  try {
    const r = await simOn(lease, o, relay, trace);
    // Only a machine whose run ended cleanly goes back: after a violation or a throw, an actor may have
    // stopped halfway through a step, and the tracers' flags with it.
    clean = r.status === 'done' && r.violations.length === 0;
    return r;
  } finally {
    pool.put(lease, clean);
  }
}

async function simOn(
  lease: Lease,
  o: SimRunOptions,
  relay: Relay,
  trace: TraceStep[],
): Promise<SimRunReport> {
  const { m, share, world } = lease;
  // Ledger stamps are the monitor's step count across phases: a real-time order for the history oracle.
  const ledger: Ledger = new Ledger(o.workload.clients.length, (): number => monitor.tick);
  if (o.tamper?.waitOptions !== undefined) ledger.waitOptions = o.tamper.waitOptions;
  const monitor: Monitor = new Monitor(world, ledger, o.workload, m.sim, !(o.legacyOracles ?? false));
  relay.target = monitor;
  const tamper = o.tamper?.afterStep;
  if (tamper !== undefined) relay.tamper = (e) => tamper(e, world);
  // Without a tamper the relay has nothing to add: the sim hands its events to the monitor itself.
  else m.sim.reconfigure({ observer: monitor });
  const w = o.workload;
  const violations: Violation[] = [];
  const rec = recording(typeof o.strategy === 'function' ? o.strategy(m.sim) : o.strategy);
  let status: SimRunReport['status'] = 'done';
  let steps = 0;
  let divergence: DivergenceError | undefined;

  /** Run one phase; undefined when it ended in a violation or divergence (recorded). */
  const phase = (name: 'prelude' | 'main' | 'teardown', strategy: Strategy): SimResult | undefined => {
    monitor.phase = name;
    m.sim.setStrategy(strategy);
    try {
      return m.sim.run();
    } catch (e) {
      if (e instanceof ViolationError) {
        violations.push(e.violation);
        status = 'violation';
      } else if (e instanceof DivergenceError) {
        divergence = e;
        status = 'diverged';
      } else {
        const err = e as Error & { simActor?: string; simStep?: number };
        violations.push({
          inv: 'X1',
          phase: name,
          step: err.simStep ?? -1,
          at: m.sim.clock.now(),
          actor: err.simActor ?? '?',
          detail: `${err.name}: ${err.message}`,
        });
        status = 'violation';
      }
      return undefined;
    }
  };
  // The prelude (connecting the shared clients, firstStrategy) is the same for every run with the same
  // shared clients: after its first run on a machine the pool keeps the machine as it left it, and later
  // runs start from there, its classes and step count taken over.
  const saved = lease.prelude;
  let pre: SimResult | undefined;
  if (saved !== undefined) {
    ledger.clientIds.splice(0, saved.clientIds.length, ...saved.clientIds);
    monitor.tick = saved.ticks;
    for (const t of saved.tags) monitor.tag(t);
  } else {
    m.sim.spawn('prelude', connectShared(m.kernel(0), w, ledger));
    pre = phase('prelude', firstStrategy);
  }
  if (pre !== undefined && pre.status !== 'done') {
    const detail = `the harness's set-up (connecting the shared clients) ended ${pre.status}`;
    violations.push({
      inv: 'X1',
      phase: 'prelude',
      step: pre.steps,
      at: m.sim.clock.now(),
      actor: 'prelude',
      detail,
    });
    status = 'violation';
  } else if (saved !== undefined || pre !== undefined) {
    if (pre !== undefined && violations.length === 0)
      lease.keepPrelude({ clientIds: [...ledger.clientIds], tags: [...monitor.tags], ticks: monitor.tick });
    const base = baseline(world);
    // The sim keeps one trace across phases: the main phase's steps follow the prelude's.
    const before = m.sim.steps.length;
    for (const [t, plan] of w.threads.entries()) {
      const k = m.kernel(plan.vcpu);
      const session = Session.open(k, plan.user);
      if (typeof session === 'number') throw new Error(`stress: no session for thread ${t}`);
      m.sim.spawn(`g${t}`, inSession(new GuestLib(k, session), w, t, ledger));
    }
    switchFaults(m.shared.faults, w, o.faults ?? []);
    for (const s of w.signals) m.sim.setTimer(s.at, () => world.bus.signal(s.vcpu));
    for (const h of w.holds)
      m.sim.holdAt(holdActors(h.actors), h.point, holdCondition(h.until, m.sim, world, base), { soft: true });
    const main = phase('main', rec.strategy);
    steps = rec.decisions.length;
    trace.push(...m.sim.steps.slice(before));
    if (main !== undefined) {
      status = main.status;
      let ended: SimResult['status'] = main.status;
      if (main.status === 'done') {
        switchFaults(m.shared.faults, w, [], true);
        m.sim.spawn('teardown', disconnectShared(m.kernel(0), w, ledger));
        ended = phase('teardown', firstStrategy)?.status ?? 'done';
      }
      // The teardown phase may have recorded a violation (the closure sets status).
      if ((status as SimRunReport['status']) !== 'violation') {
        if (main.status !== 'done') {
          // A run that could not end: say why if it is a lost wake-up or an ignored signal.
          try {
            monitor.checkSleepers(
              Infinity,
              `when the run ${main.status === 'deadlock' ? 'deadlocked' : 'stopped'}`,
            );
          } catch (e) {
            if (!(e instanceof ViolationError)) throw e;
            violations.push(e.violation);
          }
        }
        if (violations.length === 0) o.tamper?.beforeFinal?.(world);
        if (violations.length === 0)
          violations.push(
            ...finalChecks({
              world,
              ledger,
              workload: w,
              faults: o.faults ?? [],
              base,
              status: ended,
              blocked: main.blocked.map((id) => `${id} at ${m.sim.pendingPoint(id) ?? 'a wait'}`),
              monitor,
              realistic: o.profile === 'realistic',
              at: m.sim.clock.now(),
              sharedFile: share === undefined ? undefined : shareContent(share),
              legacy: o.legacyOracles ?? false,
            }),
          );
        if (violations.length > 0) status = 'violation';
      }
    }
  }
  const tags = new Set([...monitor.tags, ...outcomeTags(ledger, w, world.counter('host.dropped'))]);
  return {
    violations,
    status,
    steps,
    decisions: rec.decisions,
    trace,
    tags,
    ledger,
    time: m.sim.clock.now(),
    divergence,
    logs: m.logs(),
  };
}

/** A hold's condition as a function of the running machine. */
function holdCondition(u: HoldUntil, sim: Sim, world: World, base: Baseline): () => boolean {
  if (u.k === 'counter') {
    const from = base.counters[u.name] ?? world.counter(u.name);
    return () => world.counter(u.name) - from >= u.atLeast;
  }
  // (Asked at every step an actor waits at the hold: someAt looks through the live actors in place, where
  // listing every actor's id to search them was an array per step.)
  return () => sim.someAt(u.actor, u.point);
}

/** Which actors a hold stops: those whose id starts with one of `prefixes` (a loop, no closure per test). */
function holdActors(prefixes: readonly string[]): (id: string) => boolean {
  return (id) => {
    for (const p of prefixes) if (id.startsWith(p)) return true;
    return false;
  };
}

/** A thread's program inside its own VBoxGuest session, closed when it returns (however it ends). */
function inSession(lib: GuestLib, w: Workload, t: number, ledger: Ledger): Proc<void> {
  return runThread(lib, w, t, ledger, () => closeSession(lib.k, lib.session));
}

/** Run a spec (its workload, strategy and profile resolved afresh) under the sim. */
export async function runSpec(
  spec: RunSpec,
  trace = false,
  pool?: SimMachinePool,
  legacyOracles = false,
): Promise<SimRunReport & { run: ResolvedRun }> {
  const run = resolveRun(spec);
  const r = await runSim({
    workload: run.workload,
    strategy: run.strategy,
    profile: run.profile,
    faults: spec.faults,
    trace,
    ...(pool === undefined ? {} : { pool }),
    ...(legacyOracles ? { legacyOracles } : {}),
  });
  // (The report is this run's own: adding the field is cheaper than copying every other one.)
  return Object.assign(r, { run });
}
