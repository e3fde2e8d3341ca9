// Setting a file's timestamps to the nanosecond; models RTFileSetTimes (Runtime/r3/posix/fileio-posix.cpp)
// on node:fs. Runs on whatever thread calls it (a host pool worker for the Shared Folders service).
//
// IPRT sets times with futimes(2) (microseconds) and, when only one of access/modification time is given,
// reads the other and writes it back truncated to the microsecond. node:fs is no better: fs.futimesSync takes
// seconds as a double and libuv (1.46, Node 20) truncates to microseconds and has no UTIME_OMIT. A time set
// through it is exact to the microsecond at best, and a time not asked for cannot be left alone.
// What is exact: utimensat(2) with UTIME_OMIT, which coreutils' touch(1) does for `-a` or `-m` with a
// nanosecond `-d @S.N`. The file is handed to the child as its stdin (the same open file, so nothing is
// looked up by a path the service did not check) and touched as /dev/stdin (-c: never opened, never
// created). A set time is exact; a time not asked for is never written. Without a working touch(1) the
// futimes path is used, with IPRT's precision, and that is logged once.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Status, type StatusCode } from '../../abi/index.js';
import { tryFs } from './at.js';
import { iprtLog } from './errno.js';

const NS_PER_S = 1_000_000_000n;
let touchWorks = true;

/** `@S.NNNNNNNNN` for touch -d: `ns` since 1970, negative before. */
export function touchDate(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  return `@${neg ? '-' : ''}${abs / NS_PER_S}.${(abs % NS_PER_S).toString().padStart(9, '0')}`;
}

/** touch(1) one time of the open file `fd` (`-a` access, `-m` modification); false if touch failed. */
function touchOne(fd: number, which: '-a' | '-m', ns: bigint): boolean {
  const r = spawnSync('touch', ['-c', which, '-d', touchDate(ns), '/dev/stdin'], {
    stdio: [fd, 'ignore', 'ignore'],
    timeout: 10_000,
  });
  return r.error === undefined && r.status === 0;
}

/**
 * Seconds for fs.futimes that land on `ns`'s microsecond: the middle of that microsecond (libuv truncates
 * toward zero after the double's rounding), as a string for times before 1970 (Node turns a negative number
 * into "now"). Exact to the microsecond while a double holds the middle within half a microsecond.
 */
function futimesSeconds(ns: bigint): string {
  const us = ns >= 0n ? ns / 1000n : -((-ns + 999n) / 1000n);
  const mid = Number(us) + (us >= 0n ? 0.5 : -0.5);
  return (mid / 1e6).toFixed(7);
}

/**
 * RTFileSetTimes: set the access and/or modification time (ns since 1970) of an open file or directory;
 * undefined leaves that time as it is, to the nanosecond.
 */
export function rtFileSetTimes(fd: number, accessNs?: bigint, modificationNs?: bigint): StatusCode {
  if (accessNs === undefined && modificationNs === undefined) return Status.VINF_SUCCESS;
  const tried = touchWorks;
  if (tried) {
    const ok =
      (accessNs === undefined || touchOne(fd, '-a', accessNs)) &&
      (modificationNs === undefined || touchOne(fd, '-m', modificationNs));
    if (ok) return Status.VINF_SUCCESS;
  }
  const cur = tryFs(() => fs.fstatSync(fd, { bigint: true }));
  if (!cur.ok) return cur.rc;
  const atime = futimesSeconds(accessNs ?? cur.value.atimeNs);
  const mtime = futimesSeconds(modificationNs ?? cur.value.mtimeNs);
  const rc = tryFs(() => fs.futimesSync(fd, atime, mtime)).rc;
  // touch(1) failed where futimes did not: it is touch that does not work here (not the file, which a
  // read-only file system or its permissions refuse to both, and which says nothing about touch).
  if (tried && rc === Status.VINF_SUCCESS) {
    touchWorks = false;
    iprtLog('RTFileSetTimes: touch(1) failed; times are set through futimes, to the microsecond');
  }
  return rc;
}
