// The Shared Folders rows: write and read MB/s at 4 KiB, 64 KiB and 1 MiB, and small files
// (open + write + close) per second, through a machine's Shared Folders service on a share in
// os.tmpdir(), held against direct fs calls on the same filesystem (the limit suite's fs rows).
import fs from 'node:fs';
import { Machine } from '../../src/machine/index.js';
import type { Summary } from '../measure.js';
import type { DataArgs } from '../programs/files.js';
import { rowOf, type Row, type Suite, type SuiteContext } from '../runner.js';
import { scratchDir } from './limit.js';
import { besideModule } from '../../src/runtime/index.js';

const PROGRAM = besideModule(import.meta.url, '../programs/files');
const SHARE = 'bench';

const SIZES = [
  ['4k', 4 << 10, '4 KiB'],
  ['64k', 64 << 10, '64 KiB'],
  ['1m', 1 << 20, '1 MiB'],
] as const;

/** The rows this suite owns, with the limit row each is held against. */
export const SF_ROWS = [
  ...SIZES.flatMap(([size, , text]) =>
    (['write', 'read'] as const).map((op) => ({
      id: `vbsf.${op}.${size}`,
      label: `Shared Folders ${op} ${text} (page list)`,
      limit: `limit.fs.${op}.${size}`,
    })),
  ),
  { id: 'vbsf.files', label: 'Shared Folders open+write 4 KiB+close', limit: 'limit.fs.files' },
] as const;

/** The floor rows: a call of a page-list WRITE's shape to the inline no-op service (no service work, no I/O). */
const SHAPE_SIZES = [SIZES[0], SIZES[2]] as const;

/** The vbsf suite. */
export const vbsfSuite: Suite = {
  name: 'vbsf',
  about: 'Shared Folders file I/O through the machine, on a share in os.tmpdir()',
  byDefault: true,
  async run(ctx: SuiteContext): Promise<Row[]> {
    const dir = scratchDir();
    const m = await Machine.start({
      vcpus: 1,
      hostWorkers: 2,
      spin: ctx.policy,
      device: ctx.device,
      servicePlacement: ctx.placement,
      irqDelivery: ctx.irq,
      ramBytes: 128 << 20,
      sharedFolders: [{ name: SHARE, hostPath: dir, writable: true }],
    });
    const rows: Row[] = [];
    try {
      const fileBytes = (ctx.quick ? 8 : 64) << 20;
      for (const [size, bytes] of SIZES) {
        for (const op of ['write', 'read'] as const) {
          const spec = SF_ROWS.find((r) => r.id === `vbsf.${op}.${size}`)!;
          ctx.log(`  ${spec.label}`);
          const args: DataArgs = { share: SHARE, op, size: bytes, fileBytes, budget: ctx.budget };
          const s = await m.run<Summary>({ module: PROGRAM, export: 'data', args, vcpu: 0 });
          rows.push(rowOf({ ...spec, suite: 'vbsf', kind: 'rate' }, s, bytes));
        }
      }
      for (const [size, bytes, text] of SHAPE_SIZES) {
        const label = `no-op call of a ${text} page-list WRITE's shape (inline service)`;
        ctx.log(`  ${label}`);
        const s = await m.run<Summary>({
          module: PROGRAM,
          export: 'shape',
          args: { size: bytes, budget: ctx.budget },
          vcpu: 0,
        });
        rows.push(rowOf({ id: `vbsf.shape.${size}`, suite: 'vbsf', label, kind: 'latency' }, s));
      }
      const spec = SF_ROWS.find((r) => r.id === 'vbsf.files')!;
      ctx.log(`  ${spec.label}`);
      const s = await m.run<Summary>({
        module: PROGRAM,
        export: 'files',
        args: { share: SHARE, budget: ctx.budget },
        vcpu: 0,
      });
      rows.push(rowOf({ ...spec, suite: 'vbsf', kind: 'rate' }, s));
    } finally {
      await m.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};
