// `hgcm trace <write|read|echo|cancel>`: run one guest operation with tracing on and print the path each
// of its calls took through the guest, the device, HGCM, the service and IPRT, as an indented tree;
// write the whole run as a Chrome trace file (Perfetto, chrome://tracing).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Machine } from '../machine/machine.js';
import { intOption } from './args.js';
import { formatTree } from '../trace/tree.js';
import { DEFAULT_FUSE_CMD, traceFuse } from './trace-fuse.js';

const OPS = ['write', 'read', 'echo', 'cancel', 'fuse'] as const;

/** Run `hgcm trace`; returns the exit code. */
export async function trace(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      bytes: { type: 'string', default: '4096' },
      out: { type: 'string' },
      all: { type: 'boolean', default: false },
      'old-host': { type: 'boolean', default: false },
      points: { type: 'boolean', default: false },
      cmd: { type: 'string' },
    },
  });
  const op = positionals[0] ?? 'write';
  if (!(OPS as readonly string[]).includes(op)) {
    console.error(`hgcm trace: unknown operation ${op} (one of ${OPS.join(', ')})`);
    return 2;
  }
  if (op === 'fuse')
    return traceFuse({ cmd: values.cmd ?? DEFAULT_FUSE_CMD, out: values.out, points: values.points });
  const bytes = intOption('bytes', values.bytes, 0, 1 << 24);
  const share = mkdtempSync(join(tmpdir(), 'hgcm-trace-'));
  const m = await Machine.start({
    vcpus: 1,
    hostWorkers: 1,
    cancel2: !values['old-host'],
    sharedFolders: [{ name: 'share', hostPath: share, writable: true }],
    trace: { capacity: 1 << 16 },
  });
  try {
    const program = new URL(
      `../programs/trace-ops${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
      import.meta.url,
    );
    if (op === 'read') await m.run({ module: program, export: 'write', args: { share: 'share', bytes } });
    m.trace.set(true, 1);
    const args = op === 'cancel' ? { delayMs: 300, timeoutMs: 20 } : { share: 'share', bytes };
    const result = await m.run({ module: program, export: op, args });
    m.trace.set(false);
    // Let a late completion (the cancelled call's) land in the trace too.
    if (op === 'cancel') await new Promise((r) => setTimeout(r, 350));
    const records = m.trace.records();
    const calls = m.trace.calls(records);
    const main = values.all
      ? calls
      : calls.filter(
          (c) =>
            (op === 'write' ? /Write/ : op === 'read' ? /Read/ : /fn /).test(c.label) || calls.length === 1,
        );
    console.log(`hgcm trace ${op}: ${JSON.stringify(result)}\n`);
    for (const c of main.length > 0 ? main : calls) console.log(`${formatTree(c)}\n`);
    const out = values.out ?? join(tmpdir(), `hgcm-trace-${op}-${process.pid}.json`);
    writeFileSync(out, JSON.stringify(m.trace.chrome({ points: values.points, meta: { op, bytes } })));
    console.log(`${calls.length} traced calls, ${records.length} records; Chrome trace: ${out}`);
    return 0;
  } finally {
    await m.stop();
    rmSync(share, { recursive: true, force: true });
  }
}
