// `hgcm trace <write|read|echo|cancel>`: run one guest operation with tracing on and print the path each
// of its calls took through the guest, the device, HGCM, the service and IPRT, as an indented tree; with
// --out, write the whole run as a Chrome trace file (Perfetto, chrome://tracing).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../machine/index.js';
import { besideModule } from '../runtime/index.js';
import { formatTree } from '../trace/index.js';
import { flag, int, text, defineCommand } from './kit/index.js';
import { DEFAULT_FUSE_CMD, traceFuse } from './trace-fuse.js';

const OPS = ['write', 'read', 'echo', 'cancel', 'fuse'] as const;

/** `hgcm trace`. */
export const traceCommand = defineCommand(
  {
    name: 'hgcm trace',
    summary:
      "run one operation traced and print each call's path through guest, device, HGCM and host as a tree",
    positionals: { name: 'operation', usage: '[write|read|echo|cancel|fuse]', max: 1, choices: OPS },
    options: {
      bytes: int('bytes a write or read moves', { min: 0, max: 1 << 24, default: 4096 }),
      'old-host': flag('a host without HGCMCancel2 (the cancel falls back to the legacy HGCMCancel)'),
      all: flag("print every call of the run (connect and disconnect too), not only the operation's"),
      points: flag('add the protocol points (where the stress harness holds threads) to the Chrome trace'),
      out: text('write the run as a Chrome trace (Perfetto, chrome://tracing) to FILE', { arg: 'FILE' }),
      cmd: text('fuse: the shell script to trace on a fresh mount ($M is the mount point)', {
        arg: 'SCRIPT',
        default: DEFAULT_FUSE_CMD,
      }),
    },
    more: () =>
      'operation: write (the default), read, echo, cancel (a delay call whose timeout expires), or fuse (a real\n' +
      "program's requests on a FUSE mount of a fresh share, from the kernel's request to the host file; root)",
  },
  async ({ values, positionals }, io) => {
    const op = positionals[0] ?? 'write';
    if (op === 'fuse') return traceFuse({ cmd: values.cmd, out: values.out, points: values.points }, io);
    const { bytes } = values;
    const share = mkdtempSync(join(tmpdir(), 'hgcm-trace-'));
    const m = await Machine.start({
      vcpus: 1,
      hostWorkers: 1,
      cancel2: !values['old-host'],
      sharedFolders: [{ name: 'share', hostPath: share, writable: true }],
      trace: { capacity: 1 << 16 },
    });
    try {
      const program = besideModule(import.meta.url, '../programs/trace-ops');
      if (op === 'read') await m.run({ module: program, export: 'write', args: { share: 'share', bytes } });
      m.trace.set(true, 1);
      const args = op === 'cancel' ? { delayMs: 300, timeoutMs: 20 } : { share: 'share', bytes };
      const result = await m.run({ module: program, export: op, args });
      m.trace.set(false);
      // Let a late completion (the cancelled call's) land in the trace too.
      if (op === 'cancel') await new Promise((r) => setTimeout(r, 350));
      const records = m.trace.records();
      const calls = m.trace.calls(records);
      const pattern = op === 'write' ? /Write/ : op === 'read' ? /Read/ : /fn /;
      const main = values.all ? calls : calls.filter((c) => pattern.test(c.label) || calls.length === 1);
      io.out(`hgcm trace ${op}: ${JSON.stringify(result)}\n`);
      for (const c of main.length > 0 ? main : calls) io.out(`${formatTree(c)}\n`);
      if (values.out !== undefined)
        writeFileSync(
          values.out,
          JSON.stringify(m.trace.chrome({ points: values.points, meta: { op, bytes } })),
        );
      io.out(
        `${calls.length} traced calls, ${records.length} records` +
          (values.out === undefined ? '' : `; Chrome trace: ${values.out}`),
      );
      return 0;
    } finally {
      await m.stop();
      rmSync(share, { recursive: true, force: true });
    }
  },
);
