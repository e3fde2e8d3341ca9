// One stress run on real threads: a Machine with its trace ring on, the workload's threads as guest
// programs on their vCPUs, signals from main-thread timers, the OS choosing every interleaving. A watchdog
// reports a hang (no point recorded by any thread for hangMs while a program still runs) with the log's
// tail. Afterwards the host is drained and the run is checked offline: the ledger and counters (final.ts)
// and the order of points (offline.ts). Not replayable step by step; its seed replays the workload.
import type { FaultName, PointRecord } from '../src/runtime/index.js';
import type { Machine } from '../src/machine/index.js';
import { ControlClock } from '../src/runtime/index.js';
import type { Coordinator, CoordinatorResult } from './controlled/coordinator.js';
import { coordinator, ignoredSignals, stillMachine, type ControlOptions } from './controlled/phase.js';
import type { RunResult } from './campaign.js';
import { outcomeTags } from './coverage.js';
import { replayCommand, resolveRun, type RunSpec } from './run-spec.js';
import { createShare, removeShare, shareContent, switchFaults, type HostShare } from './machine-config.js';
import { MachinePool } from './threads/pool.js';
import { liftThreadsRun } from './lift.js';
import { scheduleName, writeSchedule } from './schedule.js';
import { baseline, finalChecks, type Baseline } from './oracle/final.js';
import type { Violation } from './oracle/invariants.js';
import { checkLog, checkSessionLog, logLine, logTags } from './oracle/offline.js';
import { World } from './oracle/world.js';
import type { PreludeReport, ThreadReport } from './threads/program.js';
import { Ledger, type Workload } from './workload.js';
import { untilNone, untilStill } from './still.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const program = new URL(`./threads/program${ext}`, import.meta.url);

/** How to run one workload on threads. */
export interface ThreadsRunOptions {
  readonly workload: Workload;
  readonly faults?: readonly FaultName[];
  /** No point recorded for this long while a program runs: a hang (default 5 s). */
  readonly hangMs?: number;
  /** Late completions land before the final checks, until nothing has moved for this long (default 1 s). */
  readonly drainMs?: number;
  /**
   * Controlled threads (a controlled machine from the pool): a coordinator chooses every step of the main
   * phase with `strategy`, or follows a recorded decision list; it fires the workload's signals itself.
   */
  readonly control?: ControlOptions;
}

export { MachinePool } from './threads/pool.js';

/** What one threads run found. */
export interface ThreadsRunReport {
  readonly violations: readonly Violation[];
  /** 'crash': something threw (a step machine on a vCPU, a worker, the machine itself): an X1 violation. */
  readonly status: 'done' | 'hang' | 'crash';
  /** Points recorded (every thread). */
  readonly steps: number;
  readonly tags: ReadonlySet<string>;
  readonly ledger: Ledger;
  /** The log's last records (a hang's report, a failure's context), or a crash's stack. */
  readonly tail: readonly string[];
  readonly ms: number;
  /** The main phase's points, in their global order (what lifting into a sim schedule follows). */
  readonly log: readonly PointRecord[];
  /** Controlled: the coordinator's account of the main phase (its decisions replay it). */
  readonly control?: CoordinatorResult | undefined;
}

/** Run one workload on threads (on a pooled machine, or a fresh one stopped afterwards). Never throws. */
export async function runThreads(o: ThreadsRunOptions, pool?: MachinePool): Promise<ThreadsRunReport> {
  const w = o.workload;
  const t0 = performance.timeOrigin + performance.now();
  const ms = (): number => performance.timeOrigin + performance.now() - t0;
  const own = pool === undefined ? new MachinePool(1) : undefined;
  const ledger = new Ledger(w.clients.length, () => performance.timeOrigin + performance.now());
  const crash = (e: unknown, where: string): Violation => {
    const err = e instanceof Error ? e : new Error(String(e));
    return {
      inv: 'X1',
      phase: 'main',
      step: -1,
      at: ms(),
      actor: where,
      detail: `${err.name}: ${err.message}`,
    };
  };
  // A share is a fresh host directory per run, so its machine is too (the share is fixed at start).
  const share = createShare(w);
  let m: Machine;
  try {
    m = await (pool ?? own!).get(w, share);
  } catch (e) {
    removeShare(share);
    const v = crash(e, 'machine');
    return {
      violations: [v],
      status: 'crash',
      steps: 0,
      tags: new Set(),
      ledger,
      tail: stackLines(e),
      ms: ms(),
      log: [],
    };
  }
  const ring = m.trace.ring;
  const world = new World(m.sharedMemory);
  const seq0 = ring.seq;
  const audit0 = world.counter('audit.writeAfterFree');
  const run: RunState = { status: 'done', tail: undefined, seqMain: seq0, seqEnd: seq0, control: undefined };
  const violations: Violation[] = [];
  try {
    await play(m, o, ledger, world, run, violations, { t0, seq0, audit0, share });
  } catch (e) {
    // A program threw on a vCPU (a heap double free, say), a worker died, the machine failed.
    run.status = 'crash';
    run.tail = stackLines(e);
    violations.push(crash(e, 'threads'));
  } finally {
    // Only a machine that saw nothing wrong is reused; a share's machine never is.
    if (own !== undefined || run.status !== 'done' || violations.length > 0 || share !== undefined)
      await (pool ?? own!).discard(m);
    removeShare(share);
  }
  const log = ring.points().filter((r) => r.seq >= seq0);
  const tags = new Set([...outcomeTags(ledger, w, world.counter('host.dropped')), ...logTags(log)]);
  return {
    violations,
    status: run.status,
    steps: ring.seq - seq0,
    tags,
    ledger,
    tail: run.tail ?? tailLines(log, t0),
    ms: ms(),
    log: log.filter((r) => r.seq >= run.seqMain && r.seq < run.seqEnd),
    control: run.control,
  };
}

/** Where a threads run got to (its main phase's log is [seqMain, seqEnd)). */
interface RunState {
  status: ThreadsRunReport['status'];
  tail: string[] | undefined;
  seqMain: number;
  seqEnd: number;
  control: CoordinatorResult | undefined;
}

/** The run itself: prelude, the threads under a watchdog, teardown, the checks. Throws what went wrong. */
async function play(
  m: Machine,
  o: ThreadsRunOptions,
  ledger: Ledger,
  world: World,
  run: RunState,
  violations: Violation[],
  at: { t0: number; seq0: number; audit0: number; share: HostShare | undefined },
): Promise<void> {
  const w = o.workload;
  const { t0, seq0, audit0, share } = at;
  const ring = m.trace.ring;
  const pre = await m.run<PreludeReport>({ module: program, export: 'prelude', args: { workload: w } });
  const ids = pre.clientIds;
  ledger.clientIds.splice(0, ids.length, ...ids);
  ledger.sfFiles.push(...pre.sfFiles);
  // Controlled: the main phase starts from a still machine with its interrupt line down, whatever the
  // prelude's free threads left in flight (a completion's interrupt raised after its guest saw DONE), so
  // that a seed replays the run from its first decision.
  if (o.control !== undefined) await settleMachine(m, w);
  const base = baseline(world);
  switchFaults(m.sharedMemory.faults, w, o.faults ?? []);
  run.seqMain = ring.seq;
  // Programs each vCPU still owes the main thread (started or queued, not yet returned here).
  const owed = new Map<string, number>();
  const owe = (vcpu: number, d: number): void =>
    void owed.set(`vcpu${vcpu}`, (owed.get(`vcpu${vcpu}`) ?? 0) + d);
  w.threads.forEach((plan) => owe(plan.vcpu, 1));
  const runs = w.threads.map((plan, t) =>
    m
      .run<ThreadReport>({
        module: program,
        export: 'thread',
        args: { workload: w, t, clientIds: ids, sfFiles: pre.sfFiles },
        vcpu: plan.vcpu,
        user: plan.user,
      })
      .finally(() => owe(plan.vcpu, -1)),
  );
  // When each signal really went out (the outcome oracle's O5 holds an interrupted call against them).
  const vcpus = Math.max(0, ...w.threads.map((t) => t.vcpu), ...w.signals.map((x) => x.vcpu)) + 1;
  const signalTimes: number[][] = Array.from({ length: vcpus }, () => []);
  // On the guests' clock, as the ledger's call times (a controlled machine's is virtual).
  const clock = m.sharedMemory.control === undefined ? undefined : new ControlClock(m.sharedMemory.control);
  const signal = (vcpu: number): void => {
    signalTimes[vcpu]!.push(clock?.now() ?? performance.timeOrigin + performance.now());
    try {
      m.signal(vcpu);
    } catch {
      // The machine failed meanwhile: the run's failure says so.
    }
  };
  const starters = w.threads.map((t) => `vcpu${t.vcpu}`);
  // Controlled: the coordinator fires each signal between two steps once virtual time reaches it (and logs
  // it); a replay fires the logged ones. Free threads: main-thread timers.
  const timed = o.control?.follow === undefined ? w.signals : [];
  const owes = (name: string): boolean => (owed.get(name) ?? 0) > 0;
  const checkSleepers = ignoredSignals(m, w, world);
  const coord =
    o.control &&
    coordinator(m, o.control, { signal, hangMs: o.hangMs, expect: starters, timed, owes, checkSleepers });
  const timers = coord !== undefined ? [] : w.signals.map((s) => setTimeout(() => signal(s.vcpu), s.at));
  // Every thread's end, whatever it is: one that threw must not leave the others unwatched.
  const all = Promise.allSettled(runs);
  const settled =
    coord === undefined
      ? await watch(all, () => ring.seq, o.hangMs ?? 5000)
      : await coordinate(coord, all, run);
  timers.forEach(clearTimeout);
  run.seqEnd = ring.seq;
  if (settled === undefined) {
    run.status = 'hang';
    // The tail now, before stopping the machine adds its own records.
    run.tail = [...(run.control?.picture ?? []), ...tailLines(ring.points(), t0)];
    const at = performance.timeOrigin + performance.now() - t0;
    const detail =
      coord === undefined
        ? `no thread made progress for ${o.hangMs ?? 5000} ms: a guest waits forever`
        : (run.control?.sleeperFault ??
          `controlled run stuck: no thread parked or due to wake for ${o.hangMs ?? 5000} ms`);
    const actor = run.control?.sleeperFault === undefined ? 'watchdog' : 'coordinator';
    violations.push({ inv: 'I6', phase: 'main', step: ring.seq, at, actor, detail });
    return;
  }
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  for (const r of settled) {
    if (r.status !== 'fulfilled') continue;
    ledger.calls.push(...r.value.calls);
    ledger.ops.push(...r.value.ops);
  }
  // A shared client a thread disconnected is gone for the teardown too.
  for (const op of ledger.ops)
    if (op.k === 'disconnect' && op.rc === 0 && w.clients[op.client]?.owner === -1)
      ledger.clientIds[op.client] = 0;
  await drain(world, () => ring.seq, o.drainMs ?? 1000);
  switchFaults(m.sharedMemory.faults, w, [], true);
  await m.run({ module: program, export: 'teardown', args: { workload: w, clientIds: ledger.clientIds } });
  await drain(world, () => ring.seq, o.drainMs ?? 1000);
  await settleMachine(m, w);
  await reclaimed(world, base, () => ring.seq, o.drainMs ?? 1000);
  const now = performance.timeOrigin + performance.now();
  const log = ring.points().filter((r) => r.seq >= seq0);
  violations.push(...checkLog(log, world, { at: now, t0, auditBefore: audit0 }));
  const faults = [...(w.config.faults ?? []), ...(o.faults ?? [])];
  violations.push(
    ...checkSessionLog(log, {
      calls: ledger.calls,
      ops: ledger.ops,
      hostDrops: faults.includes('host-drop'),
      t0,
    }),
  );
  violations.push(
    ...finalChecks({
      world,
      ledger,
      workload: w,
      faults: o.faults ?? [],
      base,
      status: 'done',
      blocked: [],
      monitor: undefined,
      realistic: false,
      at: now - t0,
      sharedFile: share === undefined ? undefined : shareContent(share),
      signalTimes,
    }),
  );
}

/**
 * Between phases: on a controlled machine, wait until it is still (controlled/phase.ts); then handle a
 * leftover interrupt on the workload's vCPUs (program.ts settle), and wait until that is over too.
 */
async function settleMachine(m: Machine, w: Workload): Promise<void> {
  await stillMachine(m);
  await Promise.all(w.threads.map((t) => m.run({ module: program, export: 'settle', vcpu: t.vcpu })));
  await stillMachine(m);
}

/** Run the coordinator until every program returned (then the settled programs) or it is stuck (undefined). */
async function coordinate<T>(coord: Coordinator, all: Promise<T>, run: RunState): Promise<T | undefined> {
  let done = false;
  void all.then(() => (done = true));
  run.control = await coord.run(() => done);
  return run.control.status === 'done' ? all : undefined;
}

/** The first lines of an error's stack (where a crash happened). */
function stackLines(e: unknown): string[] {
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return stack.split('\n').slice(0, 8);
}

/** Await `p` unless `progress` stops moving for `hangMs`: then undefined. */
async function watch<T>(p: Promise<T>, progress: () => number, hangMs: number): Promise<T | undefined> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  p.then(
    (v) => ((done = true), (value = v)),
    (e: unknown) => ((done = true), (error = e)),
  );
  if (!(await untilStill(() => done, progress, hangMs, 20))) return undefined;
  if (error !== undefined) throw error;
  return value;
}

/**
 * Wait until the host holds only commands it lost on purpose, or until nothing has moved (no point
 * recorded, no command gone) for `quietMs`.
 */
async function drain(world: World, progress: () => number, quietMs: number): Promise<void> {
  await untilNone(() => world.pendingForLiveClients().length, progress, quietMs);
}

/**
 * Wait until the host holds no more command slots and request copies than at the start (I18's terms), or
 * until nothing has moved for `quietMs`. A guest sees DONE before the host frees the command and its copy,
 * so its program (and then the teardown) may end while the host still finishes its last completion; on a
 * loaded machine that moment can outlast the settle. A slot the host really keeps stays held and I18 reports it.
 */
async function reclaimed(
  world: World,
  base: Baseline,
  progress: () => number,
  quietMs: number,
): Promise<void> {
  const held = (): number =>
    Math.max(0, world.takenSlots().length - base.slots) +
    Math.max(0, world.snapshotBytes() - base.snapshotBytes);
  await untilNone(held, progress, quietMs);
}

function tailLines(log: readonly PointRecord[], t0: number): string[] {
  return log.slice(-20).map((r) => logLine(r, t0));
}

/**
 * The campaign's executor for threads: one run; on a failure, its context (the log's tail, or where it
 * threw) and its log lifted into a sim schedule, written to `failuresDir` when that run breaks the same
 * invariant in the sim (a threads run itself replays only its workload, not its interleaving).
 */
export async function threadsExecute(
  spec: RunSpec,
  pool: MachinePool,
  failuresDir?: string,
): Promise<RunResult> {
  const run = resolveRun(spec);
  const r = await runThreads({ workload: run.workload, faults: spec.faults }, pool);
  return threadsResult(
    spec,
    r,
    'executor=threads (the seed replays the workload, not its interleaving)',
    failuresDir,
  );
}

/** A threads run's result for the campaign (`head` first in its context), its log lifted on a failure. */
export async function threadsResult(
  spec: RunSpec,
  r: ThreadsRunReport,
  head: string,
  failuresDir: string | undefined,
): Promise<RunResult> {
  const first = r.violations[0];
  if (first === undefined)
    return { violations: [], steps: r.steps, tags: r.tags, context: [], scheduleFile: undefined };
  const context = [
    head,
    r.status === 'crash' ? 'where it threw:' : 'log tail:',
    ...r.tail.map((l) => `  ${l}`),
  ];
  let scheduleFile: string | undefined;
  if (r.log.length > 0) {
    const lift = await liftThreadsRun(resolveRun(spec).workload, r.log, spec.faults, first);
    const sim = lift.run.violations[0];
    context.push(
      `lifted into a sim schedule: ${lift.followed} of ${lift.total} logged points followed, ${lift.skipped} skipped; ` +
        (sim === undefined
          ? 'the sim run passed'
          : `the sim run breaks ${sim.inv}${lift.reproduced ? ' too' : ''}`),
    );
    if (lift.reproduced === true && failuresDir !== undefined) {
      scheduleFile = scheduleName(failuresDir, spec, '-lifted');
      writeSchedule(scheduleFile, lift.schedule);
    }
  }
  const executor = r.control === undefined ? 'threads' : 'controlled';
  return {
    violations: r.violations,
    steps: r.steps,
    tags: r.tags,
    context,
    scheduleFile,
    replay: `${replayCommand(spec)} --executor ${executor}`,
  };
}
