// One stress run on real threads: a Machine with its trace ring on, the workload's threads as guest
// programs on their vCPUs, signals from main-thread timers, the OS choosing every interleaving. A watchdog
// reports a hang (no point recorded by any thread for hangMs while a program still runs) with the log's
// tail. Afterwards the host is drained and the run is checked offline: the ledger and counters (final.ts)
// and the order of points (offline.ts). Not replayable step by step; its seed replays the workload.
import type { FaultName } from '../src/runtime/faults.js';
import { Machine } from '../src/machine/machine.js';
import type { PointRecord } from '../src/runtime/trace-ring.js';
import type { RunResult } from './campaign.js';
import { outcomeTags } from './coverage.js';
import { replayCommand, resolveRun, type RunSpec } from './run-spec.js';
import { histFileBytes } from './services/histfile.js';
import {
  createShare,
  machineConfig,
  removeShare,
  shareContent,
  switchFaults,
  type HostShare,
} from './machine-config.js';
import { baseline, finalChecks } from './oracle/final.js';
import type { Violation } from './oracle/invariants.js';
import { checkLog, checkSessionLog, logLine, logTags } from './oracle/offline.js';
import { World } from './oracle/world.js';
import type { PreludeReport, ThreadReport } from './threads/program.js';
import { Ledger, type Workload } from './workload.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const program = new URL(`./threads/program${ext}`, import.meta.url);

/** How to run one workload on threads. */
export interface ThreadsRunOptions {
  readonly workload: Workload;
  readonly faults?: readonly FaultName[];
  /** No point recorded for this long while a program runs: a hang (default 5 s). */
  readonly hangMs?: number;
  /** How long to let late completions land before the final checks (default 1 s). */
  readonly drainMs?: number;
}

/** What one threads run found. */
export interface ThreadsRunReport {
  readonly violations: readonly Violation[];
  readonly status: 'done' | 'hang';
  /** Points recorded (every thread). */
  readonly steps: number;
  readonly tags: ReadonlySet<string>;
  readonly ledger: Ledger;
  /** The log's last records (a hang's report, a failure's context). */
  readonly tail: readonly string[];
  readonly ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Machines kept between runs with the same configuration (starting one costs far more than a run). */
export class MachinePool {
  private readonly machines = new Map<string, { m: Machine; runs: number }>();
  /** Runs one machine serves before it is replaced (quarantine and lost commands accumulate). */
  readonly runsPerMachine: number;

  constructor(runsPerMachine = 25) {
    this.runsPerMachine = runsPerMachine;
  }

  /**
   * A machine for this workload, every fault off, its file cleared. A workload with a share gets a machine
   * of its own on that share (`share`, a fresh directory per run), not kept: `discard` it afterwards.
   */
  async get(w: Workload, share?: HostShare): Promise<Machine> {
    // Every workload fits 4 vCPUs and 2 host workers: fewer distinct machines to start (the OS schedules
    // the threads anyway, so the workload's own worker count matters less here than under the sim).
    const config = {
      ...machineConfig(w, share),
      vcpus: 4,
      hostWorkers: 2,
      trace: { capacity: 1 << 13, steps: true },
    };
    if (share !== undefined) return Machine.start(config);
    const key = JSON.stringify({ ...config, faults: [] });
    let e = this.machines.get(key);
    if (e !== undefined && e.runs >= this.runsPerMachine) {
      await e.m.stop();
      e = undefined;
    }
    if (e === undefined) {
      e = { m: await Machine.start({ ...config, faults: [] }), runs: 0 };
      this.machines.set(key, e);
    }
    e.runs++;
    switchFaults(e.m.sharedMemory.faults, w, [], true);
    const file = e.m.sharedMemory.services.find((s) => s.name === 'histfile')?.shared;
    if (file !== undefined) histFileBytes(file).fill(0);
    return e.m;
  }

  /** Stop a machine and forget it (after a hang: its vCPUs may never come back; a share's machine). */
  async discard(m: Machine): Promise<void> {
    for (const [k, e] of this.machines) if (e.m === m) this.machines.delete(k);
    await m.stop();
  }

  async stop(): Promise<void> {
    for (const e of this.machines.values()) await e.m.stop();
    this.machines.clear();
  }
}

/** Run one workload on threads (on a pooled machine, or a fresh one stopped afterwards). */
export async function runThreads(o: ThreadsRunOptions, pool?: MachinePool): Promise<ThreadsRunReport> {
  const w = o.workload;
  const t0 = performance.timeOrigin + performance.now();
  const own = pool === undefined ? new MachinePool(1) : undefined;
  // A share is a fresh host directory per run, so its machine is too (the share is fixed at start).
  const share = createShare(w);
  let m: Machine;
  try {
    m = await (pool ?? own!).get(w, share);
  } catch (e) {
    removeShare(share);
    throw e;
  }
  const ring = m.trace.ring;
  const world = new World(m.sharedMemory);
  const ledger = new Ledger(w.clients.length, () => performance.timeOrigin + performance.now());
  const seq0 = ring.seq;
  const audit0 = world.counter('audit.writeAfterFree');
  let status: 'done' | 'hang' = 'done';
  let hangTail: string[] | undefined;
  const violations: Violation[] = [];
  try {
    const pre = await m.run<PreludeReport>({ module: program, export: 'prelude', args: { workload: w } });
    const ids = pre.clientIds;
    ledger.clientIds.splice(0, ids.length, ...ids);
    ledger.sfFiles.push(...pre.sfFiles);
    const base = baseline(world);
    switchFaults(m.sharedMemory.faults, w, o.faults ?? []);
    const runs = w.threads.map((plan, t) =>
      m.run<ThreadReport>({
        module: program,
        export: 'thread',
        args: { workload: w, t, clientIds: ids, sfFiles: pre.sfFiles },
        vcpu: plan.vcpu,
        user: plan.user,
      }),
    );
    // When each signal really went out (the outcome oracle's O5 holds an interrupted call against them).
    const vcpus = Math.max(0, ...w.threads.map((t) => t.vcpu), ...w.signals.map((x) => x.vcpu)) + 1;
    const signalTimes: number[][] = Array.from({ length: vcpus }, () => []);
    const timers = w.signals.map((s) =>
      setTimeout(() => {
        signalTimes[s.vcpu]!.push(performance.timeOrigin + performance.now());
        m.signal(s.vcpu);
      }, s.at),
    );
    const reports = await watch(Promise.all(runs), () => ring.seq, o.hangMs ?? 5000);
    timers.forEach(clearTimeout);
    if (reports === undefined) {
      status = 'hang';
      // The tail now, before stopping the machine adds its own records.
      hangTail = tailLines(ring.points(), t0);
      const at = performance.timeOrigin + performance.now() - t0;
      const detail = `no thread made progress for ${o.hangMs ?? 5000} ms: a guest waits forever`;
      violations.push({ inv: 'I6', phase: 'main', step: ring.seq, at, actor: 'watchdog', detail });
    } else {
      for (const r of reports) {
        ledger.calls.push(...r.calls);
        ledger.ops.push(...r.ops);
      }
      // A shared client a thread disconnected is gone for the teardown too.
      for (const op of ledger.ops)
        if (op.k === 'disconnect' && op.rc === 0 && w.clients[op.client]?.owner === -1)
          ledger.clientIds[op.client] = 0;
      await drain(world, o.drainMs ?? 1000);
      switchFaults(m.sharedMemory.faults, w, [], true);
      await m.run({
        module: program,
        export: 'teardown',
        args: { workload: w, clientIds: ledger.clientIds },
      });
      await drain(world, o.drainMs ?? 1000);
      await Promise.all(w.threads.map((t) => m.run({ module: program, export: 'settle', vcpu: t.vcpu })));
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
  } finally {
    // A hung machine is not reused, nor one on a share.
    if (own !== undefined || status === 'hang' || share !== undefined) await (pool ?? own!).discard(m);
    removeShare(share);
  }
  const log = ring.points().filter((r) => r.seq >= seq0);
  const tags = new Set([...outcomeTags(ledger, w, world.counter('host.dropped')), ...logTags(log)]);
  return {
    violations,
    status,
    steps: ring.seq - seq0,
    tags,
    ledger,
    tail: hangTail ?? tailLines(log, t0),
    ms: performance.timeOrigin + performance.now() - t0,
  };
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
  let seen = progress();
  let quietSince = performance.now();
  while (!done) {
    await sleep(20);
    const now = progress();
    if (now !== seen) {
      seen = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince > hangMs) return undefined;
  }
  if (error !== undefined) throw error;
  return value;
}

/** Wait until the host holds only commands it lost on purpose (or `ms` passed). */
async function drain(world: World, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end && world.pendingForLiveClients().length > 0) await sleep(5);
}

function tailLines(log: readonly PointRecord[], t0: number): string[] {
  return log.slice(-20).map((r) => logLine(r, t0));
}

/** The campaign's executor for threads: one run, its failure context the log's tail. */
export async function threadsExecute(spec: RunSpec, pool: MachinePool): Promise<RunResult> {
  const run = resolveRun(spec);
  const r = await runThreads({ workload: run.workload, faults: spec.faults }, pool);
  const context =
    r.violations.length === 0
      ? []
      : [
          'executor=threads (not replayable step by step; the seed replays the workload)',
          'log tail:',
          ...r.tail.map((l) => `  ${l}`),
        ];
  return {
    violations: r.violations,
    steps: r.steps,
    tags: r.tags,
    context,
    scheduleFile: undefined,
    replay: `${replayCommand(spec)} --executor threads`,
  };
}
