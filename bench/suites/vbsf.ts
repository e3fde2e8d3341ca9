// The Shared Folders rows: write and read MB/s at 4 KiB, 64 KiB and 1 MiB, and small files
// (open + write + close) per second, through the guest file API on a share in os.tmpdir(), held against
// direct fs calls on the same filesystem (the limit suite). The service is built on another branch: until
// src/vbsf exists here, every row is printed as not measured.
import fs from 'node:fs';
import { skippedRow, type Row, type Suite, type SuiteContext } from '../runner.js';

/** The rows this suite owns, with the limit row each is held against. */
export const SF_ROWS = [
  ...(['4k', '64k', '1m'] as const).flatMap((size) =>
    (['write', 'read'] as const).map((op) => ({
      id: `vbsf.${op}.${size}`,
      label: `Shared Folders ${op} ${size === '1m' ? '1 MiB' : size === '64k' ? '64 KiB' : '4 KiB'}`,
      limit: `limit.fs.${op}.${size}`,
    })),
  ),
  { id: 'vbsf.files', label: 'Shared Folders open+write 4 KiB+close', limit: 'limit.fs.files' },
] as const;

/** Is the Shared Folders service part of this checkout? */
export function sharedFoldersAvailable(): boolean {
  return ['index.ts', 'index.js'].some((f) => fs.existsSync(new URL(`../../src/vbsf/${f}`, import.meta.url)));
}

/** The vbsf suite. */
export const vbsfSuite: Suite = {
  name: 'vbsf',
  about: 'Shared Folders file I/O through the guest file API',
  byDefault: true,
  async run(_ctx: SuiteContext): Promise<Row[]> {
    const reason = sharedFoldersAvailable()
      ? 'the Shared Folders rows are not wired to the service yet'
      : 'the Shared Folders service (src/vbsf) is not on this branch';
    return SF_ROWS.map((r) => skippedRow({ ...r, suite: 'vbsf', kind: 'rate' }, reason));
  },
};
