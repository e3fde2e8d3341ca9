// `hgcm demo` (npm start): start a machine, run a mixed echo/delay workload on every vCPU, print what happened.
import { statusName } from '../abi/index.js';
import { Machine } from '../machine/machine.js';
import type { MixedArgs, MixedReport } from '../programs/mixed.js';

/** Run the demo; returns the process exit code. */
export async function demo(argv: readonly string[]): Promise<number> {
  const vcpus = Number(argv[0] ?? 2);
  const machine = await Machine.start({ vcpus, hostWorkers: 2 });
  const program = new URL(
    `../programs/mixed${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
    import.meta.url,
  );
  const args: MixedArgs = {
    calls: 2000,
    bufferBytes: 4096,
    delayEvery: 100,
    delayMs: 20,
    delayTimeoutMs: 5,
    seed: 1,
  };
  console.log(
    `hgcm-runtime demo: ${vcpus} vCPUs, 2 host workers, ${args.calls} calls per vCPU (4 KiB echo, every 100th a 20 ms delay with a 5 ms timeout)`,
  );
  const t0 = performance.now();
  const reports = await Promise.all(
    Array.from({ length: vcpus }, (_, vcpu) =>
      machine.run<MixedReport>({ module: program, export: 'main', args: { ...args, seed: vcpu + 1 }, vcpu }),
    ),
  );
  const ms = performance.now() - t0;
  const st = machine.stats();
  await machine.stop();
  let bytes = 0;
  let mismatches = 0;
  for (const r of reports) {
    bytes += r.echoBytes;
    mismatches += r.mismatches;
    const fails = Object.entries(r.failures).map(([rc, n]) => `${statusName(Number(rc))} x${n}`);
    console.log(
      `  vCPU ${r.vcpu}: ${r.echoes} echoes, ${r.delays} delays (${r.timedOut} timed out)${fails.length ? `, failures: ${fails.join(', ')}` : ''}`,
    );
  }
  const c = st.counters;
  console.log(
    `  guest: ${c['guest.calls']} calls, ${c['guest.sync']} sync, ${c['guest.completed']} completed, ${c['guest.cancelled']} cancelled, ${c['guest.leaked']} leaked (${c['guest.leakedBytes']} bytes)`,
  );
  console.log(
    `  device: ${c['device.requests']} requests, ${c['device.cancel.found']} cancels found, ${c['device.cancel.notFound']} not found; host: ${c['host.calls']} calls, ${c['host.completedCancelled']} completions dropped as cancelled`,
  );
  console.log(
    `  heap: ${st.heap.inUseBytes} bytes in use, ${st.heap.quarantinedBytes} quarantined; ${(bytes / 1048576 / (ms / 1000)).toFixed(1)} MiB/s echoed in ${ms.toFixed(0)} ms; ${mismatches} mismatched bytes buffers`,
  );
  return mismatches === 0 ? 0 : 1;
}
