// File system (volume) information the IPRT way; models RTFsQuerySizes, RTFsQuerySerial and
// RTFsQueryProperties (Runtime/r3/posix/fs-posix.cpp) for the file system holding an open directory.
import * as fs from 'node:fs';
import type { StatusCode } from '../../abi/index.js';
import { procPath, tryFs } from './at.js';

/** RTFsQuerySizes + RTFsQuerySerial. */
export interface FsSizes {
  readonly totalBytes: bigint;
  readonly availableBytes: bigint;
  readonly bytesPerAllocationUnit: number;
  readonly bytesPerSector: number;
  /** The device number's low 32 bits, as IPRT reports for POSIX hosts. */
  readonly serial: number;
}

/** Sizes of the file system holding the directory `dirFd` (statfs through its magic link, fstat for st_dev). */
export function rtFsQuerySizes(dirFd: number): { rc: StatusCode; sizes: FsSizes | undefined } {
  const sf = tryFs(() => fs.statfsSync(procPath(dirFd), { bigint: true }));
  if (!sf.ok) return { rc: sf.rc, sizes: undefined };
  const st = tryFs(() => fs.fstatSync(dirFd, { bigint: true }));
  if (!st.ok) return { rc: st.rc, sizes: undefined };
  const bsize = sf.value.bsize;
  return {
    rc: 0,
    sizes: {
      totalBytes: sf.value.blocks * bsize,
      availableBytes: sf.value.bavail * bsize,
      bytesPerAllocationUnit: Number(BigInt.asUintN(32, bsize)),
      // POSIX gives no sector size; IPRT reports 512.
      bytesPerSector: 512,
      serial: Number(BigInt.asUintN(32, st.value.dev)),
    },
  };
}
