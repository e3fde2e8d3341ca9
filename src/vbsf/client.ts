// Per-client state in the client's shared slot (HgcmService.clientStateBytes); models SHFLCLIENTDATA in
// shfl.h: flags, path delimiter, error style and the per-root mapping counts. Any pool worker may run a
// call of the client, so every field is read and changed with Atomics.
//
//   word 0 FLAGS (SHFL_CF_UTF8 0x4, SHFL_CF_SYMLINKS 0x8, SHFL_CF_CANCEL_NEXT_WAIT 0x10: host-internal
//          flags, not the SHFL_CF_* create flags)   1 DELIMITER   2 ERROR_STYLE   4 + r: mappings of root r
import { SHFL_MAX_MAPPINGS, ShflErrorStyle } from '../abi/index.js';

/** Host-internal client flags (shfl.h SHFL_CF_*, a different namespace from the create flags). */
export const ClientFlag = { UTF8: 0x4, SYMLINKS: 0x8, CANCEL_NEXT_WAIT: 0x10 } as const;

const FLAGS = 0;
const DELIMITER = 1;
const ERROR_STYLE = 2;
const COUNTS = 4;

/** Bytes of client state the service asks for. */
export const CLIENT_STATE_BYTES = 4 * (COUNTS + SHFL_MAX_MAPPINGS);

/** Most times one client may map the same root (acMappings is 16-bit upstream). */
export const MAX_CLIENT_MAPPINGS = 0x8000;

/** One client's state. */
export class ClientData {
  private readonly w: Int32Array;

  /** View the slot `bytes` (ServiceContext.clientState), 4-byte aligned. */
  constructor(bytes: Uint8Array) {
    this.w = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  }

  /** svcConnect: a fresh client (the slot may hold a former client's state). */
  reset(): void {
    for (let i = 0; i < this.w.length; i++) Atomics.store(this.w, i, 0);
    Atomics.store(this.w, ERROR_STYLE, ShflErrorStyle.LINUX);
  }

  private has(flag: number): boolean {
    return (Atomics.load(this.w, FLAGS) & flag) !== 0;
  }
  setFlag(flag: number): void {
    Atomics.or(this.w, FLAGS, flag);
  }
  /** Clear a flag; true if it was set (CANCEL_NEXT_WAIT is consumed this way). */
  takeFlag(flag: number): boolean {
    return (Atomics.and(this.w, FLAGS, ~flag) & flag) !== 0;
  }

  /** Strings are UTF-8 (SET_UTF8 or QUERY_MAPPINGS with SHFL_MF_UTF8); UTF-16 otherwise. */
  get utf8(): boolean {
    return this.has(ClientFlag.UTF8);
  }
  /** SET_SYMLINKS: stat and listing report symlinks instead of following them. */
  get symlinks(): boolean {
    return this.has(ClientFlag.SYMLINKS);
  }

  /** The path delimiter fixed by the first MAP_FOLDER ('/' or '\\'), 0 before. */
  get delimiter(): number {
    return Atomics.load(this.w, DELIMITER);
  }
  /** Fix the delimiter if unset; true when it is (now) `d`. */
  claimDelimiter(d: number): boolean {
    const prev = Atomics.compareExchange(this.w, DELIMITER, 0, d);
    return prev === 0 || prev === d;
  }

  get errorStyle(): number {
    return Atomics.load(this.w, ERROR_STYLE);
  }
  set errorStyle(style: number) {
    Atomics.store(this.w, ERROR_STYLE, style);
  }

  /** Times this client mapped `root`. */
  mappings(root: number): number {
    return root >= 0 && root < SHFL_MAX_MAPPINGS ? Atomics.load(this.w, COUNTS + root) : 0;
  }
  /** Count a map (caller checked the limit). */
  addMapping(root: number, delta: 1 | -1): void {
    Atomics.add(this.w, COUNTS + root, delta);
  }
}
