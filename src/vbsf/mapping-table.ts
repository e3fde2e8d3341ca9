// The mapping records in shared memory; models g_FolderMapping, g_auRootHandleVersions, vbsfMappingsAdd
// and vbsfMappingsRemove (mappings.cpp). Runs on any pool worker and on the thread making host calls.
//
// A root id is the index of its record (upstream keeps a root -> mapping index table; without saved state
// the two agree). Records change under MAP_LOCK; readers take no lock: the immutable part of a record
// (names, path, options) is decoded once per worker and reused while GEN is unchanged (a seqlock: STATE and
// GEN are read before and after the decode). GEN moves when a record is filled and when it is freed.
//
//   record words: 0 STATE  1 GEN  2 FLAGS  3 POLICY  4 MAPPINGS (cMappings)  5 GUEST_CS  6 ROOT_VERSION
//                 7 NAME_LEN  8 PATH_LEN  9 MOUNT_LEN  10 HAS_MAX  11 MAX_LO  12 MAX_HI
//   record bytes: 64.. name (UTF-8), 1088.. host path, 5184.. mount point
import { SHFL_MAX_MAPPINGS, Status, type StatusCode, type SymlinkPolicyValue } from '../abi/index.js';
import { AtomicCell, withLock } from '../runtime/index.js';
import type { Mapping, ShareRecord } from './config.js';
import { H, MAP_BASE, MAP_BYTES, type VbsfMemory } from './layout.js';

const R = {
  STATE: 0,
  GEN: 1,
  FLAGS: 2,
  POLICY: 3,
  MAPPINGS: 4,
  GUEST_CS: 5,
  ROOT_VERSION: 6,
  NAME_LEN: 7,
  PATH_LEN: 8,
  MOUNT_LEN: 9,
  HAS_MAX: 10,
  MAX_LO: 11,
  MAX_HI: 12,
} as const;
const FREE = 0;
const VALID = 1;
/** Record flags. MISSING and PLACEHOLDER change while a record is valid; the others never do. */
const F = {
  WRITABLE: 0x1,
  AUTOMOUNT: 0x2,
  CREATE_SYMLINKS: 0x4,
  MISSING: 0x8,
  PLACEHOLDER: 0x10,
  HOST_CS: 0x20,
  REDACT: 0x40,
} as const;
const STR = { name: [64, 1024], path: [1088, 4096], mount: [5184, 1024] } as const;

const utf8 = new TextEncoder();
const decoder = new TextDecoder();

/** A share as the host sees it in the table (Machine.shares.list). */
export interface ShareState {
  readonly root: number;
  readonly name: string;
  readonly hostPath: string;
  readonly missing: boolean;
  readonly placeholder: boolean;
  /** Guest clients mapping it now (cMappings). */
  readonly mapped: number;
}

/** The records. */
export class MappingTable {
  protected readonly mem: VbsfMemory;
  protected readonly lock: AtomicCell;
  private readonly wake: AtomicCell;
  private readonly cache: (Mapping | undefined)[] = [];

  constructor(mem: VbsfMemory) {
    this.mem = mem;
    this.lock = new AtomicCell(mem.words, H.MAP_LOCK);
    this.wake = new AtomicCell(mem.words, H.WAKE);
  }

  private w(root: number, field: number): number {
    return (MAP_BASE + root * MAP_BYTES) / 4 + field;
  }
  protected load(root: number, field: number): number {
    return Atomics.load(this.mem.words, this.w(root, field));
  }
  protected store(root: number, field: number, v: number): void {
    Atomics.store(this.mem.words, this.w(root, field), v);
  }
  private str(root: number, which: keyof typeof STR, len: number): string {
    const at = MAP_BASE + root * MAP_BYTES + STR[which][0];
    return decoder.decode(this.mem.bytes.subarray(at, at + Math.min(len, STR[which][1])));
  }

  /** g_uFolderMappingsVersion. */
  get version(): number {
    return Atomics.load(this.mem.words, H.VERSION) >>> 0;
  }

  /** vbsfMappingGetByRoot: the valid mapping (placeholders included) with this root id, if any. */
  get(root: number): Mapping | undefined {
    if (!Number.isInteger(root) || root < 0 || root >= SHFL_MAX_MAPPINGS) return undefined;
    for (;;) {
      const gen = this.load(root, R.GEN);
      if (this.load(root, R.STATE) !== VALID) return undefined;
      const hit = this.cache[root];
      if (hit?.gen === gen) return hit;
      const m = this.decode(root, gen);
      // RACE: a record freed or refilled while it was decoded moved GEN; decode again.
      if (this.load(root, R.GEN) === gen && this.load(root, R.STATE) === VALID) {
        this.cache[root] = m;
        return m;
      }
    }
  }

  private decode(root: number, gen: number): Mapping {
    const flags = this.load(root, R.FLAGS);
    const max = this.load(root, R.HAS_MAX) !== 0;
    return Object.freeze({
      root,
      gen,
      name: this.str(root, 'name', this.load(root, R.NAME_LEN)),
      hostPath: this.str(root, 'path', this.load(root, R.PATH_LEN)),
      writable: (flags & F.WRITABLE) !== 0,
      createSymlinks: (flags & F.CREATE_SYMLINKS) !== 0,
      // SAFETY: only add() writes POLICY, from a SymlinkPolicyValue.
      symlinkPolicy: this.load(root, R.POLICY) as SymlinkPolicyValue,
      hostCaseSensitive: (flags & F.HOST_CS) !== 0,
      autoMount: (flags & F.AUTOMOUNT) !== 0,
      mountPoint: this.str(root, 'mount', this.load(root, R.MOUNT_LEN)),
      redactLinks: (flags & F.REDACT) !== 0,
      maxCreateSize: max
        ? (BigInt(this.load(root, R.MAX_HI) >>> 0) << 32n) | BigInt(this.load(root, R.MAX_LO) >>> 0)
        : undefined,
    });
  }

  /** Root ids of the valid records, in order (placeholders included). */
  roots(): number[] {
    const out: number[] = [];
    for (let r = 0; r < SHFL_MAX_MAPPINGS; r++) if (this.load(r, R.STATE) === VALID) out.push(r);
    return out;
  }

  /** Every valid record, as the host sees it. */
  shares(): ShareState[] {
    return this.roots().flatMap((root) => {
      const m = this.get(root);
      if (m === undefined) return [];
      const { name, hostPath } = m;
      const s = { root, name, hostPath, missing: this.missing(root), placeholder: this.placeholder(root) };
      return [{ ...s, mapped: this.mapCount(root) }];
    });
  }

  /** fMissing: the host folder is not there (added so, or removed from the VM while in use). */
  missing(root: number): boolean {
    return (this.load(root, R.FLAGS) & F.MISSING) !== 0;
  }
  /** fPlaceholder: removed by the host while guests still map it; gone at the last unmap. */
  placeholder(root: number): boolean {
    return (this.load(root, R.FLAGS) & F.PLACEHOLDER) !== 0;
  }
  /** Clients mapping `root` now (cMappings). */
  mapCount(root: number): number {
    return this.load(root, R.MAPPINGS);
  }
  /** fGuestCaseSensitive as the mappers asked for it. */
  guestCaseSensitive(root: number): boolean {
    return this.load(root, R.GUEST_CS) !== 0;
  }
  /** g_auRootHandleVersions[root]: moves whenever the root id is given to a mapping or taken back. */
  rootVersion(root: number): number {
    return this.load(root, R.ROOT_VERSION) >>> 0;
  }

  /**
   * vbsfMappingsWakeupAllWaiters: a new mappings version, and every waiter told (waits.ts completes them
   * on the worker that holds each).
   */
  protected changed(): void {
    Atomics.add(this.mem.words, H.VERSION, 1);
    this.wake.bump();
  }

  /**
   * vbsfMappingsAdd: a name no other (non-placeholder) mapping has, in the first free record; its root id.
   * VERR_ALREADY_EXISTS for a name in use, VERR_TOO_MUCH_DATA when all 64 records are taken,
   * VERR_FILENAME_TOO_LONG for a string its field cannot hold.
   */
  add(s: ShareRecord): number | StatusCode {
    const enc = {
      name: utf8.encode(s.name),
      path: utf8.encode(s.hostPath),
      mount: utf8.encode(s.mountPoint),
    };
    for (const k of ['name', 'path', 'mount'] as const)
      if (enc[k].length > STR[k][1]) return Status.VERR_FILENAME_TOO_LONG;
    const key = s.name.toLowerCase();
    const root = withLock(this.lock, () => {
      for (const r of this.roots())
        if (!this.placeholder(r) && this.get(r)?.name.toLowerCase() === key)
          return Status.VERR_ALREADY_EXISTS;
      for (let r = 0; r < SHFL_MAX_MAPPINGS; r++) {
        if (this.load(r, R.STATE) !== FREE) continue;
        const base = MAP_BASE + r * MAP_BYTES;
        // The first write a record ever gets is here (every other is to a record added): the extent.
        this.mem.used(H.MAPS_USED, r);
        for (const k of ['name', 'path', 'mount'] as const) this.mem.bytes.set(enc[k], base + STR[k][0]);
        this.store(r, R.NAME_LEN, enc.name.length);
        this.store(r, R.PATH_LEN, enc.path.length);
        this.store(r, R.MOUNT_LEN, enc.mount.length);
        const flags =
          (s.writable ? F.WRITABLE : 0) |
          (s.autoMount ? F.AUTOMOUNT : 0) |
          (s.createSymlinks ? F.CREATE_SYMLINKS : 0) |
          (s.missing ? F.MISSING : 0) |
          (s.hostCaseSensitive ? F.HOST_CS : 0) |
          (s.redactLinks ? F.REDACT : 0);
        this.store(r, R.FLAGS, flags);
        this.store(r, R.POLICY, s.symlinkPolicy);
        this.store(r, R.MAPPINGS, 0);
        this.store(r, R.GUEST_CS, 0);
        const max = s.maxCreateSize;
        this.store(r, R.HAS_MAX, max === undefined ? 0 : 1);
        this.store(r, R.MAX_LO, Number(BigInt.asUintN(32, max ?? 0n)) | 0);
        this.store(r, R.MAX_HI, Number(BigInt.asUintN(32, (max ?? 0n) >> 32n)) | 0);
        // ORDER: every field above before GEN and STATE publish the record (readers check both).
        this.store(r, R.GEN, this.load(r, R.GEN) + 1);
        this.store(r, R.ROOT_VERSION, this.load(r, R.ROOT_VERSION) + 1);
        this.store(r, R.STATE, VALID);
        return r;
      }
      return Status.VERR_TOO_MUCH_DATA;
    });
    if (root >= 0) this.changed();
    return root;
  }

  /**
   * vbsfMappingsRemove: every record named `name` (a regular one and placeholders): one still mapped by a
   * guest becomes a missing placeholder (VINF_PERMISSION_DENIED), an unused one is freed (VINF_SUCCESS).
   * VERR_FILE_NOT_FOUND when no record has the name. Each change wakes the waiters.
   */
  remove(name: string): StatusCode {
    const key = name.toLowerCase();
    let rc: StatusCode = Status.VERR_FILE_NOT_FOUND;
    for (const r of this.roots()) {
      if (this.get(r)?.name.toLowerCase() !== key) continue;
      const outcome = withLock(this.lock, () => {
        if (this.load(r, R.STATE) !== VALID) return undefined;
        if (this.load(r, R.MAPPINGS) !== 0) {
          this.store(r, R.FLAGS, this.load(r, R.FLAGS) | F.MISSING | F.PLACEHOLDER);
          return Status.VINF_PERMISSION_DENIED;
        }
        this.freeLocked(r);
        return Status.VINF_SUCCESS;
      });
      if (outcome === undefined) continue;
      this.changed();
      if (outcome === Status.VINF_PERMISSION_DENIED || rc === Status.VERR_FILE_NOT_FOUND) rc = outcome;
    }
    return rc;
  }

  /** vbsfRootHandleRemove and the record's release (under MAP_LOCK). */
  protected freeLocked(root: number): void {
    this.store(root, R.STATE, FREE);
    this.store(root, R.GEN, this.load(root, R.GEN) + 1);
    this.store(root, R.ROOT_VERSION, this.load(root, R.ROOT_VERSION) + 1);
  }

  /** Change a client's count of `root` and cMappings by `delta` (under MAP_LOCK). */
  protected countLocked(root: number, delta: 1 | -1, guestCaseSensitive?: boolean): number {
    const n = Math.max(0, this.load(root, R.MAPPINGS) + delta);
    this.store(root, R.MAPPINGS, n);
    if (guestCaseSensitive !== undefined) this.store(root, R.GUEST_CS, guestCaseSensitive ? 1 : 0);
    return n;
  }
}
