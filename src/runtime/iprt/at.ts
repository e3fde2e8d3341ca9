// Directory-relative ("*at") file system access on node:fs, which has none; IPRT has no counterpart (its
// POSIX backend is path based, which is what lets symlinks lead out of a share: vbsf-semantics.md 4.1 S3).
//
// Node offers no openat, O_PATH or openat2 (nodejs/node#31110). What Linux offers instead: for an open
// directory fd N, the path /proc/self/fd/N/<name> makes the kernel resolve the magic link N to the very
// directory the fd holds (not to a path string, so renames and symlinks above it do not matter) and then
// look up <name> in it, like openat(N, name). O_NOFOLLOW, lstat, mkdir, unlink, rename, symlink and readlink
// never follow a final symlink, so with a single component every call here stays inside directory N.
// The options considered (vbsf-semantics.md 4.5): a native openat2 helper (strongest, but a native build),
// a separate confined process (heavy), this (pure JS, Linux only), a lexical check plus realpath (a TOCTOU
// window). This layer refuses any name that is not exactly one component.
// Runs on a host worker thread (the Shared Folders service calls it).
import { existsSync } from 'node:fs';
import { Status, type StatusCode } from '../../abi/index.js';
import { rtErrFromNode } from './errno.js';

const SLASH = 0x2f;
const DOT = 0x2e;
const PROC_FD = '/proc/self/fd/';

/** True when this host has /proc/self/fd (Linux with procfs mounted): the at-emulation's precondition. */
export function procFdAvailable(): boolean {
  return existsSync('/proc/self/fd');
}

/**
 * A name this layer accepts: non-empty, at most 255 bytes, no '/', no NUL, not '.' or '..'. Anything else
 * is VERR_INVALID_NAME (VERR_FILENAME_TOO_LONG past 255), before any system call.
 */
export function checkName(name: Uint8Array): StatusCode {
  if (name.length === 0) return Status.VERR_INVALID_NAME;
  if (name.length > 255) return Status.VERR_FILENAME_TOO_LONG;
  if (name[0] === DOT && (name.length === 1 || (name.length === 2 && name[1] === DOT))) {
    return Status.VERR_INVALID_NAME;
  }
  for (const b of name) if (b === SLASH || b === 0) return Status.VERR_INVALID_NAME;
  return Status.VINF_SUCCESS;
}

/** /proc/self/fd/<dirFd> (the directory itself) or /proc/self/fd/<dirFd>/<name>, as bytes. */
export function procPath(dirFd: number, name?: Uint8Array): Buffer {
  const head = Buffer.from(name === undefined ? `${PROC_FD}${dirFd}` : `${PROC_FD}${dirFd}/`);
  return name === undefined ? head : Buffer.concat([head, name]);
}

/** The outcome of one node:fs call: its value, or the IPRT status of what it threw. */
export type FsResult<T> =
  | { readonly ok: true; readonly rc: 0; readonly value: T }
  | { readonly ok: false; readonly rc: StatusCode; readonly value: undefined };

/** Run a synchronous node:fs call and convert a throw into a status (never rethrows). */
export function tryFs<T>(fn: () => T): FsResult<T> {
  try {
    return { ok: true, rc: 0, value: fn() };
  } catch (e) {
    return { ok: false, rc: rtErrFromNode(e), value: undefined };
  }
}

/** Run `fn(path)` on /proc/self/fd/<dirFd>/<name> after checking that name is one component. */
export function atCall<T>(dirFd: number, name: Uint8Array, fn: (path: Buffer) => T): FsResult<T> {
  const rc = checkName(name);
  if (rc !== Status.VINF_SUCCESS) return { ok: false, rc, value: undefined };
  return tryFs(() => fn(procPath(dirFd, name)));
}
