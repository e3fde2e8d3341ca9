// `hgcm fsx`: the fsx exerciser through the whole guest -> host Shared Folders path, one file per vCPU on a
// fresh temporary share; every read and size is checked against a model in the guest, and each final host
// file against the model here. Any failure prints its seed and op log (rerun with --seed to replay a vCPU).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Machine } from '../machine/index.js';
import type { FsxArgs, FsxReport } from '../programs/index.js';
import { besideModule } from '../runtime/index.js';
import { MAX_VCPUS } from '../machine/index.js';
import { choice, flag, int, defineCommand } from './kit/index.js';
import { keepTmpdir, Progress } from './process.js';

const IO_MODES = ['linaddr', 'pagelist', 'nobounce', 'mixed'] as const;

/** `hgcm fsx`; exits 0 when no vCPU saw a mismatch. */
export const fsxCommand = defineCommand(
  {
    name: 'hgcm fsx',
    summary:
      'fsx through the Shared Folders path: seeded writes, reads, truncates and reopens checked against a model',
    options: {
      ops: int('operations per vCPU', { min: 0, max: 1e9, default: 10_000 }),
      seed: int('seed of vCPU 0 (vCPU i uses seed + i)', {
        min: 0,
        max: 2 ** 32 - 1,
        default: () => Date.now() % 1_000_000,
        defaultText: 'from the clock, printed',
      }),
      vcpus: int('vCPUs, each on a file of its own', { min: 1, max: MAX_VCPUS, default: 2 }),
      len: int('largest file size in bytes', { min: 1, max: 1 << 30, arg: 'BYTES', defaultText: '262144' }),
      oplen: int('largest read or write in bytes', {
        min: 1,
        max: 1 << 24,
        arg: 'BYTES',
        defaultText: '65536',
      }),
      io: choice('how the guest passes buffers', IO_MODES, 'mixed'),
      keep: flag('keep the share afterwards (in the temporary directory; its path is printed)'),
    },
  },
  async ({ values: v }, io) => {
    const base = fs.mkdtempSync(path.join(v.keep ? keepTmpdir() : os.tmpdir(), 'hgcm-fsx-'));
    const share = path.join(base, 'share');
    fs.mkdirSync(share);
    io.out(
      `hgcm fsx: ${v.vcpus} vCPUs x ${v.ops} ops, seed ${v.seed} (vCPU i uses seed ${v.seed}+i), io ${v.io}, share ${share}`,
    );
    let machine: Machine | undefined;
    let bad = 0;
    try {
      machine = await Machine.start({
        vcpus: v.vcpus,
        hostWorkers: 2,
        sharedFolders: [{ name: 'fsx', hostPath: share }],
      });
      const m = machine;
      const program = besideModule(import.meta.url, '../programs/fsx');
      const done = new Int32Array(new SharedArrayBuffer(4 * v.vcpus));
      const total = v.vcpus * v.ops;
      const progress = new Progress();
      const line = (): string => `  fsx: ${done.reduce((a, b) => a + b, 0)}/${total} ops`;
      progress.update(line, true);
      const timer = setInterval(() => progress.update(line), 250);
      const t0 = performance.now();
      const reports = await Promise.all(
        Array.from({ length: v.vcpus }, (_, vcpu) => {
          const args: FsxArgs = {
            share: 'fsx',
            file: `/fsx-${vcpu}.bin`,
            ops: v.ops,
            seed: v.seed + vcpu,
            io: v.io,
            // SAFETY: `done` was made over a SharedArrayBuffer above.
            progress: done.buffer as SharedArrayBuffer,
            index: vcpu,
            ...(v.len === undefined ? {} : { maxLen: v.len }),
            ...(v.oplen === undefined ? {} : { maxOp: v.oplen }),
          };
          return m.run<FsxReport>({ module: program, export: 'fsx', args, vcpu });
        }),
      ).finally(() => clearInterval(timer));
      const ms = performance.now() - t0;
      progress.done();
      for (const r of reports) {
        const host = fs.readFileSync(path.join(share, r.file));
        const hostOk = host.equals(Buffer.from(r.model));
        const counts = Object.entries(r.counts)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ');
        io.out(
          `  ${r.file} seed ${r.seed}: ${r.failure === undefined && hostOk ? 'ok' : 'FAILED'} (${counts}); ${host.length} bytes`,
        );
        if (r.failure !== undefined || !hostOk) {
          bad++;
          io.out(`    ${r.failure ?? 'host file differs from the model'}`);
          for (const l of r.log.slice(-20)) io.out(`    ${l}`);
        }
      }
      io.out(`  ${total} ops in ${ms.toFixed(0)} ms (${(total / (ms / 1000)).toFixed(0)} ops/s)`);
    } finally {
      await machine?.stop();
      if (v.keep) io.out(`  kept ${base}`);
      else fs.rmSync(base, { recursive: true, force: true });
    }
    return bad === 0 ? 0 : 1;
  },
);
