// `hgcm demo` (npm start), the main job: a machine with a few vCPUs and a share in a temporary directory
// runs a mixed workload (Shared Folders writes and reads, echo calls, delays outliving their timeouts) with
// signals landing at random, then an old-host phase; progress on stderr, then a summary: calls by
// outcome, cancels by result, leaks, the invariants checked, MB/s, the path of one traced call, and (with
// --trace) a Chrome trace file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Machine, type MachineStats } from '../machine/index.js';
import { explainFile } from '../programs/index.js';
import { besideModule, MachineStateError, Prng, WorkerError } from '../runtime/index.js';
import { READY, SIGNALS_STOPPED, type DemoArgs, type DemoReport } from '../programs/index.js';
import { MAX_VCPUS } from '../machine/index.js';
import { int, list, text, UsageError, defineCommand, type Io } from './kit/index.js';
import { Progress } from './process.js';
import { formatTree, type CallNode } from '../trace/index.js';

const program = besideModule(import.meta.url, '../programs/demo');

interface Phase {
  readonly name: string;
  readonly reports: DemoReport[];
  readonly stats: MachineStats;
  readonly ms: number;
  readonly files: Uint8Array[];
  /** What adding --add-share shares while the workload ran gave, one line each. */
  readonly added: string[];
}

/** A share to add while the workload runs (--add-share). */
interface LateShare {
  readonly name: string;
  readonly hostPath: string;
}

/** A share given as NAME=DIR (the directory made absolute against the current one). */
function shareOption(text: string, flag: string): LateShare {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1)
    throw new UsageError(`${flag} must be NAME=DIR (got ${JSON.stringify(text)})`);
  return { name: text.slice(0, at), hostPath: resolve(text.slice(at + 1)) };
}

/** Run one phase on a fresh machine; `old` makes the host one without HGCMCancel2; `traced` keeps a tree. */
async function phase(
  name: string,
  share: string,
  vcpus: number,
  ops: number,
  old: boolean,
  traced: boolean,
  tracePath: string | undefined,
  lateShares: readonly LateShare[] = [],
): Promise<Phase & { tree?: string }> {
  const m = await Machine.start({
    vcpus,
    hostWorkers: 2,
    audit: true,
    cancel2: !old,
    sharedFolders: [{ name: 'share', hostPath: share, writable: true }],
    guest: { graceNotFoundMs: 100, graceOtherMs: 200 },
    trace: { enabled: traced, sample: 97, capacity: 1 << 15 },
  });
  try {
    const progress = new SharedArrayBuffer(64 * 4);
    const words = new Int32Array(progress);
    const t0 = performance.now();
    const runs = Array.from({ length: vcpus }, (_, index) => {
      const args: DemoArgs = {
        share: 'share',
        file: `${name}-${index}.bin`,
        ops,
        seed: 1 + index * 7919 + (old ? 99 : 0),
        maxIo: 16 << 10,
        span: 256 << 10,
        progress,
        index,
      };
      return m.run<DemoReport>({ module: program, export: 'main', args, vcpu: index });
    });
    const prng = new Prng(12345);
    const line = new Progress();
    // For a moment in the middle, the host loses calls (as on a VM reset): their guests leak them.
    let dropped = 'before' as 'before' | 'on' | 'after';
    // Shares the host adds while the guests run (as VBoxManage sharedfolder add --transient does).
    const added: Promise<string>[] = [];
    const tick = (): void => {
      const done = Array.from({ length: vcpus }, (_, i) => Atomics.load(words, i));
      const total = done.reduce((a, b) => a + b, 0);
      if (added.length < lateShares.length && total > 0) {
        for (const ls of lateShares)
          added.push(
            m.shares.add(ls).then(
              (a) =>
                `added ${a.name} -> ${a.hostPath} (root ${a.root}${a.missing ? ', missing' : ''}) at ${total} ops`,
              (e: unknown) => `FAILED to add ${ls.name}: ${e instanceof Error ? e.message : String(e)}`,
            ),
          );
      }
      if (!old && dropped === 'before' && total > 0.4 * ops * vcpus) {
        dropped = 'on';
        m.setFault('host-drop', true);
        setTimeout(() => {
          m.setFault('host-drop', false);
          dropped = 'after';
        }, 15);
      }
      if (done.every((d) => d >= ops)) {
        Atomics.store(words, SIGNALS_STOPPED, 1);
        Atomics.notify(words, SIGNALS_STOPPED);
      } else {
        const vcpu = prng.int(vcpus);
        if (Atomics.load(words, READY + vcpu) === 1) m.signal(vcpu);
      }
      line.update(() => {
        const c = m.stats().counters;
        return `  [${name}] ${total}/${ops * vcpus} ops, ${c['guest.calls']} calls: ${c['guest.completed']} completed, ${c['guest.cancelled']} cancelled, ${c['guest.leaked']} leaked, ${c['guest.interrupts']} interrupted`;
      });
    };
    const timer = setInterval(() => {
      try {
        tick();
      } catch (e) {
        // The machine stopped under the timer (a SIGINT stops every machine; a failed one stops itself):
        // no more signals to send. The runs reject with why, and that ends the phase.
        if (!(e instanceof MachineStateError || e instanceof WorkerError)) throw e;
        clearInterval(timer);
      }
    }, 3);
    const reports = await Promise.all(runs).finally(() => clearInterval(timer));
    const lines = await Promise.all(added);
    const shares = m.shares.list().map((x) => `${x.name} (root ${x.root}, mapped ${x.mapped})`);
    if (lines.length > 0) lines.push(`shares now: ${shares.join(', ')}`);
    const ms = performance.now() - t0;
    line.done();
    // Late completions of cancelled and leaked calls land, then the host must be quiet.
    await new Promise((r) => setTimeout(r, 300));
    const stats = m.stats();
    const files = reports.map((_, i) => new Uint8Array(readFileSync(join(share, `${name}-${i}.bin`))));
    let tree: string | undefined;
    if (traced) {
      const calls = m.trace.calls();
      // Prefer a write the host served start to finish (no cancel), so the tree crosses every layer.
      const writes = calls.filter((c) => c.label === 'VbglR0HGCMCall (fn 6)' && c.children.length > 0);
      const layers = (c: CallNode): Set<string> =>
        new Set([c.layer, ...c.children.flatMap((k) => [...layers(k)])]);
      const labels = (c: CallNode): string[] => [c.label, ...c.children.flatMap(labels)];
      const write =
        writes.find((c) => layers(c).size >= 4 && !labels(c).some((l) => l.includes('Cancel'))) ??
        writes[0] ??
        calls[0];
      if (write !== undefined) tree = formatTree(write);
      if (tracePath !== undefined)
        writeFileSync(tracePath, JSON.stringify(m.trace.chrome({ meta: { job: 'hgcm demo', phase: name } })));
    }
    return { name, reports, stats, ms, files, added: lines, ...(tree === undefined ? {} : { tree }) };
  } finally {
    await m.stop();
  }
}

/** The invariants the main job checks, each with the evidence. */
function invariants(p: Phase): { name: string; ok: boolean; detail: string }[] {
  const c = p.stats.counters;
  const sum = (f: (r: DemoReport) => number): number => p.reports.reduce((a, r) => a + f(r), 0);
  const outcomes = sum(
    (r) => r.byOutcome.completed + r.byOutcome.cancelled + r.byOutcome.leaked + r.byOutcome.sync,
  );
  const leaked = sum((r) => r.leakedBytes);
  const quarantined = p.stats.heap.quarantinedBytes + p.stats.programMemory.quarantinedBytes;
  const fileErrors = p.reports
    .map((r, i) => explainFile(p.files[i]!, r.writes))
    .filter((e) => e !== undefined);
  const violations = p.reports.flatMap((r) => r.violations);
  return [
    {
      name: 'every call ended exactly once (completed, cancelled, leaked or sync)',
      ok: outcomes === sum((r) => r.calls),
      detail: `${outcomes} of ${sum((r) => r.calls)}`,
    },
    {
      name: 'leaked bytes equal the quarantine',
      ok: leaked === quarantined && c['guest.leakedBytes'] === leaked,
      detail: `${leaked} leaked, ${quarantined} quarantined`,
    },
    {
      name: 'no host write landed in freed guest memory',
      ok: c['audit.writeAfterFree'] === 0,
      detail: `${c['audit.checks']} completions checked`,
    },
    {
      name: 'the files hold what completed writes reported',
      ok: fileErrors.length === 0,
      detail: fileErrors[0] ?? `${sum((r) => r.writes.length)} writes attributed byte by byte`,
    },
    {
      name: 'reads and echoes returned exactly what they should',
      ok: violations.length === 0,
      detail: violations[0] ?? 'all checked',
    },
    {
      name: 'the host is quiet: nothing pending, no request copy held',
      ok: p.stats.host.pendingCommands === 0 && p.stats.host.snapshotBytes === 0,
      detail: `${p.stats.host.pendingCommands} pending`,
    },
  ];
}

function summary(p: Phase, out: (line: string) => void): boolean {
  const c = p.stats.counters;
  const mb = p.reports.reduce((a, r) => a + r.bytesWritten + r.bytesRead, 0) / (1 << 20);
  out(`\n== ${p.name}: ${p.reports.length} vCPUs, ${(p.ms / 1000).toFixed(2)} s`);
  out(
    `  calls by outcome   ${c['guest.calls']} calls: ${c['guest.completed']} completed, ${c['guest.cancelled']} cancelled, ${c['guest.leaked']} leaked, ${c['guest.sync']} answered at once`,
  );
  out(`  waits ended by     ${c['guest.timeouts']} timeouts, ${c['guest.interrupts']} signals`);
  out(
    `  cancels by result  ${c['guest.cancel.success']} VINF_SUCCESS, ${c['guest.cancel.notFound']} VERR_NOT_FOUND, ${c['guest.cancel.notImplemented']} VERR_NOT_IMPLEMENTED (${c['guest.cancel.fallback']} legacy fallbacks), ${c['guest.cancel.other']} other`,
  );
  out(`  grace waits        ${c['guest.grace.completed']} saw DONE, ${c['guest.grace.expired']} expired`);
  out(`  leaks              ${c['guest.leaked']} calls, ${c['guest.leakedBytes']} bytes quarantined`);
  out(
    `  host               ${c['host.calls']} service calls, ${c['host.completedCancelled']} completions dropped because cancelled, ${c['host.dropped']} calls lost by the host`,
  );
  out(
    `  file I/O           ${mb.toFixed(1)} MiB in ${(p.ms / 1000).toFixed(2)} s = ${(mb / (p.ms / 1000)).toFixed(1)} MiB/s through the whole path`,
  );
  for (const line of p.added) out(`  shares             ${line}`);
  let ok = !p.added.some((l) => l.startsWith('FAILED'));
  for (const inv of invariants(p)) {
    ok &&= inv.ok;
    out(`  ${inv.ok ? 'PASS' : 'FAIL'}  ${inv.name} (${inv.detail})`);
  }
  return ok;
}

/** `hgcm demo`: the main job. */
export const demoCommand = defineCommand(
  {
    name: 'hgcm demo',
    summary:
      'the main job (npm start): a mixed workload on a current and an old host, its invariants, one call traced',
    options: {
      vcpus: int('vCPUs, each running the workload', { min: 1, max: MAX_VCPUS, default: 2 }),
      ops: int('operations per vCPU in the current-host phase (a third of it in the old-host one)', {
        min: 1,
        max: 1e7,
        default: 1500,
      }),
      trace: text('write the current-host phase as a Chrome trace (Perfetto, chrome://tracing) to FILE', {
        arg: 'FILE',
      }),
      'add-share': list('add the share NAME on host directory DIR while the workload runs', {
        arg: 'NAME=DIR',
        parse: shareOption,
      }),
    },
  },
  async ({ values }, io: Io) => {
    const { vcpus, ops } = values;
    const share = mkdtempSync(join(tmpdir(), 'hgcm-demo-'));
    io.out(`hgcm-runtime: ${vcpus} vCPUs, a share in ${share}, ${ops} operations per vCPU`);
    io.out(
      `(Shared Folders writes and reads, echo calls, delays outliving their timeouts; signals at random)\n`,
    );
    try {
      const current = await phase(
        'current host',
        share,
        vcpus,
        ops,
        false,
        true,
        values.trace,
        values['add-share'],
      );
      const old = await phase(
        'old host (no HGCMCancel2)',
        share,
        vcpus,
        Math.ceil(ops / 3),
        true,
        false,
        undefined,
      );
      const ok = [summary(current, io.out), summary(old, io.out)].every(Boolean);
      if (current.tree !== undefined)
        io.out(`\nThe path of one traced call (a Shared Folders write):\n\n${current.tree}`);
      if (values.trace !== undefined)
        io.out(`\nChrome trace of the current-host phase (Perfetto / chrome://tracing): ${values.trace}`);
      io.out(ok ? '\nAll invariant checks passed.' : '\nAN INVARIANT CHECK FAILED.');
      return ok ? 0 : 1;
    } finally {
      rmSync(share, { recursive: true, force: true });
    }
  },
);
