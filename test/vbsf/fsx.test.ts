// fsx through the whole guest -> host path on real threads: several vCPUs, each on its own file, a seeded
// mix of reads, writes, truncations, extensions, appends and reopens checked against a model; the final
// host files are compared here. A longer run: `hgcm fsx --ops N --seed S --vcpus V`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { FsxReport } from '../../src/programs/fsx.js';
import { outsideFingerprint, startRig, type Rig } from './helpers/machine.js';

const VCPUS = 3;
const OPS = 1200;
const SEED = 20240601;
let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ vcpus: VCPUS, hostWorkers: 2 });
});
afterAll(async () => {
  await rig?.stop();
});

test(`fsx: ${VCPUS} vCPUs x ${OPS} ops on separate files at once`, async () => {
  const before = outsideFingerprint(rig);
  const module = new URL('../../src/programs/fsx.ts', import.meta.url);
  const reports = await Promise.all(
    Array.from({ length: VCPUS }, (_, vcpu) =>
      rig.m.run<FsxReport>({
        module,
        export: 'fsx',
        args: {
          share: 'share',
          file: `/fsx-${vcpu}.bin`,
          ops: OPS,
          seed: SEED + vcpu,
          maxLen: 128 * 1024,
          maxOp: 32 * 1024,
        },
        vcpu,
      }),
    ),
  );
  for (const r of reports) {
    expect({ file: r.file, failure: r.failure, log: r.failure ? r.log : [] }).toEqual({
      file: r.file,
      failure: undefined,
      log: [],
    });
    const host = fs.readFileSync(path.join(rig.t.share, r.file));
    expect(host.equals(Buffer.from(r.model))).toBe(true);
    // Every kind of operation ran.
    expect(Object.keys(r.counts).sort()).toEqual([
      'append',
      'extend',
      'flush',
      'read',
      'reopen',
      'reread',
      'truncate',
      'write',
    ]);
  }
  expect(outsideFingerprint(rig)).toBe(before);
  expect(rig.m.logs().filter((l) => l.includes('threw'))).toEqual([]);
});
