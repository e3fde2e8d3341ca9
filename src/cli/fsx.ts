// `hgcm fsx`: the fsx exerciser through the whole guest -> host Shared Folders path, one file per vCPU on a
// fresh temporary share; every read and size is checked against a model in the guest, and each final host
// file against the model here. Any failure prints its seed and op log (rerun with --seed to replay a vCPU).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_VCPUS, Machine } from '../machine/index.js';
import { intOption, UsageError } from './args.js';
import type { FsxArgs, FsxReport } from '../programs/index.js';

const USAGE =
  'hgcm fsx [--ops N] [--seed S] [--vcpus V] [--len BYTES] [--oplen BYTES] [--io linaddr|pagelist|nobounce|mixed] [--keep]';

const IO_MODES = ['linaddr', 'pagelist', 'nobounce', 'mixed'] as const;

/** Run fsx; returns the process exit code (0: no mismatch). */
export async function fsxCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ops: { type: 'string' },
      seed: { type: 'string' },
      vcpus: { type: 'string' },
      len: { type: 'string' },
      oplen: { type: 'string' },
      io: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const ops = intOption('ops', values.ops, 0, 1e9, 10_000);
  const seed = intOption('seed', values.seed, 0, 2 ** 32 - 1, Date.now() % 1_000_000);
  const vcpus = intOption('vcpus', values.vcpus, 1, MAX_VCPUS, 2);
  const maxLen = values.len === undefined ? undefined : intOption('len', values.len, 1, 1 << 30);
  const maxOp = values.oplen === undefined ? undefined : intOption('oplen', values.oplen, 1, 1 << 24);
  const io = values.io ?? 'mixed';
  if (!(IO_MODES as readonly string[]).includes(io))
    throw new UsageError(`--io must be one of ${IO_MODES.join(', ')} (got ${JSON.stringify(io)})`);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-fsx-'));
  const share = path.join(base, 'share');
  fs.mkdirSync(share);
  console.log(
    `hgcm fsx: ${vcpus} vCPUs x ${ops} ops, seed ${seed} (vCPU i uses seed ${seed}+i), io ${io}, share ${share}`,
  );
  const machine = await Machine.start({
    vcpus,
    hostWorkers: 2,
    sharedFolders: [{ name: 'fsx', hostPath: share }],
  });
  const program = new URL(
    `../programs/fsx${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
    import.meta.url,
  );
  const t0 = performance.now();
  let bad = 0;
  try {
    const reports = await Promise.all(
      Array.from({ length: vcpus }, (_, vcpu) => {
        const args: FsxArgs = {
          share: 'fsx',
          file: `/fsx-${vcpu}.bin`,
          ops,
          seed: seed + vcpu,
          io: io as FsxArgs['io'],
          ...(maxLen === undefined ? {} : { maxLen }),
          ...(maxOp === undefined ? {} : { maxOp }),
        };
        return machine.run<FsxReport>({ module: program, export: 'fsx', args, vcpu });
      }),
    );
    const ms = performance.now() - t0;
    for (const r of reports) {
      const host = fs.readFileSync(path.join(share, r.file));
      const hostOk = host.equals(Buffer.from(r.model));
      const counts = Object.entries(r.counts)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      console.log(
        `  ${r.file} seed ${r.seed}: ${r.failure === undefined && hostOk ? 'ok' : 'FAILED'} (${counts}); ${host.length} bytes`,
      );
      if (r.failure !== undefined || !hostOk) {
        bad++;
        console.log(`    ${r.failure ?? 'host file differs from the model'}`);
        for (const line of r.log.slice(-20)) console.log(`    ${line}`);
      }
    }
    console.log(
      `  ${vcpus * ops} ops in ${ms.toFixed(0)} ms (${((vcpus * ops) / (ms / 1000)).toFixed(0)} ops/s)`,
    );
  } finally {
    await machine.stop();
    if (values.keep === true) console.log(`  kept ${base}`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
  return bad === 0 ? 0 : 1;
}
