// The node table of the FUSE front: node id -> parent, name, type and lookup count, shared by every vCPU
// that serves the mount; the "guest kernel" half of what Linux keeps in its dentry and inode caches for
// vboxsf (whose host calls take paths built from the dentry chain, dentry_path_raw). Runs on any vCPU.
//
// A node id is a slot of a SlotPool (root = slot 1 = FUSE_ROOT_ID) and its generation the slot's. Names
// live in a heap of their own; a hash of (parent, name) finds a node again, so a LOOKUP of a name the kernel
// already knows returns the same node id (as vboxsf revalidates the same inode). FUSE's lookup count is
// kept exactly: +1 per entry reply (LOOKUP, CREATE, MKDIR, SYMLINK), -n per FORGET; at zero the slot and
// its name are freed. UNLINK, RMDIR and the target of RENAME take a node out of the hash (the kernel may
// still hold it, e.g. an open unlinked file) but it lives until its last FORGET.
import { SharedHeap } from '../runtime/index.js';
import { sabHeapBacking } from '../runtime/index.js';
import { invariant } from '../runtime/index.js';
import { SlotPool } from '../runtime/index.js';

/** Record words of a node. */
const N = {
  PARENT: 0,
  TYPE: 1,
  LOOKUP_LO: 2,
  LOOKUP_HI: 3,
  NAME: 4,
  NAME_LEN: 5,
  NEXT: 6,
  HASH: 7,
  HASHED: 8,
} as const;
const WORDS = 9;
/** The root's slot: FUSE_ROOT_ID. */
export const ROOT_NODE = 1;
const MAX_DEPTH = 4096;
const TWO32 = 2 ** 32;

/** A node's type as the host last reported it (what UNLINK and RENAME need to pick their flags). */
export const NodeType = { FILE: 1, DIR: 2, SYMLINK: 3 } as const;
/** One of NodeType. */
export type NodeTypeValue = (typeof NodeType)[keyof typeof NodeType];

/** The shared memory of a node table (created on the main thread, attached on every vCPU). */
export interface NodeTableShared {
  readonly slots: SharedArrayBuffer;
  readonly buckets: SharedArrayBuffer;
  readonly names: SharedArrayBuffer;
}

/** What an entry reply needs: the node id (slot) and its generation. */
export interface NodeRef {
  readonly node: number;
  readonly gen: number;
}

function fnv1a(parent: number, name: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let s = 0; s < 32; s += 8) h = Math.imul(h ^ ((parent >>> s) & 0xff), 0x01000193);
  for (const b of name) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** Node id -> (parent, name), lookup counts, and (parent, name) -> node id. */
export class NodeTable {
  private readonly t: SlotPool;
  private readonly buckets: Int32Array;
  private readonly heap: SharedHeap;
  private readonly nameBytes: Uint8Array;

  private constructor(s: NodeTableShared) {
    this.t = SlotPool.attach(s.slots);
    this.buckets = new Int32Array(s.buckets);
    this.heap = SharedHeap.attach(sabHeapBacking(s.names), 0);
    this.nameBytes = new Uint8Array(s.names);
  }

  /** Shared memory for `capacity` nodes, the root included (names average `nameBytes` bytes), with the root in place. */
  static create(capacity: number, nameBytes = 48): NodeTableShared {
    const t = SlotPool.create(capacity + 1, WORDS);
    let buckets = 1;
    while (buckets < capacity) buckets *= 2;
    const names = new SharedArrayBuffer(Math.max(64 * 1024, capacity * nameBytes));
    SharedHeap.format(sabHeapBacking(names), 0, names.byteLength);
    const shared = { slots: t.sab, buckets: new SharedArrayBuffer(buckets * 4), names };
    t.locked(() => {
      const root = t.alloc();
      invariant(root === ROOT_NODE, 'the root is the first node');
      t.set(root, N.TYPE, NodeType.DIR);
      // The kernel holds the root for the mount's life and never forgets it.
      t.set(root, N.LOOKUP_LO, 1);
    });
    return shared;
  }

  /** Attach to a table created elsewhere. */
  static attach(s: NodeTableShared): NodeTable {
    return new NodeTable(s);
  }

  /** Nodes alive (the root included). */
  get live(): number {
    return this.t.live;
  }

  /** Is `nodeid` a node the kernel may use? */
  valid(nodeid: bigint): boolean {
    return nodeid > 0n && nodeid < BigInt(this.t.capacity) && this.t.isLive(Number(nodeid));
  }

  /** The node's type as last seen. */
  typeOf(node: number): NodeTypeValue {
    // SAFETY: TYPE is only ever written from a NodeTypeValue (enter, create).
    return this.t.get(node, N.TYPE) as NodeTypeValue;
  }

  private nameOf(node: number): Uint8Array {
    const off = this.t.get(node, N.NAME);
    return this.nameBytes.subarray(off, off + this.t.get(node, N.NAME_LEN));
  }

  private sameName(node: number, name: Uint8Array): boolean {
    if (this.t.get(node, N.NAME_LEN) !== name.length) return false;
    const off = this.t.get(node, N.NAME);
    for (let i = 0; i < name.length; i++) if (this.nameBytes[off + i] !== name[i]) return false;
    return true;
  }

  private bucketOf(hash: number): number {
    return hash & (this.buckets.length - 1);
  }

  /** The hashed node at (parent, name), or 0 (under the lock). */
  private find(parent: number, name: Uint8Array, hash: number): number {
    for (let n = this.buckets[this.bucketOf(hash)]!; n !== 0; n = this.t.get(n, N.NEXT)) {
      if (
        this.t.get(n, N.HASH) >>> 0 === hash &&
        this.t.get(n, N.PARENT) === parent &&
        this.sameName(n, name)
      )
        return n;
    }
    return 0;
  }

  private hashIn(node: number, hash: number): void {
    const b = this.bucketOf(hash);
    this.t.set(node, N.HASH, hash | 0);
    this.t.set(node, N.NEXT, this.buckets[b]!);
    this.t.set(node, N.HASHED, 1);
    this.buckets[b] = node;
  }

  private unhash(node: number): void {
    if (this.t.get(node, N.HASHED) === 0) return;
    const b = this.bucketOf(this.t.get(node, N.HASH) >>> 0);
    let prev = 0;
    for (let n = this.buckets[b]!; n !== 0; prev = n, n = this.t.get(n, N.NEXT)) {
      if (n !== node) continue;
      const next = this.t.get(n, N.NEXT);
      if (prev === 0) this.buckets[b] = next;
      else this.t.set(prev, N.NEXT, next);
      break;
    }
    this.t.set(node, N.HASHED, 0);
    this.t.set(node, N.NEXT, 0);
  }

  private setName(node: number, name: Uint8Array): boolean {
    const a = this.heap.alloc(Math.max(1, name.length));
    if (a === undefined) return false;
    // Heap offsets are never 0 (the heap's control block is there), so 0 means "no name" (the root).
    const old = this.t.get(node, N.NAME);
    this.nameBytes.set(name, a.off);
    this.t.set(node, N.NAME, a.off);
    this.t.set(node, N.NAME_LEN, name.length);
    if (old !== 0) this.heap.free(old);
    return true;
  }

  private count(node: number): number {
    return (this.t.get(node, N.LOOKUP_LO) >>> 0) + (this.t.get(node, N.LOOKUP_HI) >>> 0) * TWO32;
  }

  private addLookups(node: number, n: number): number {
    const count = this.count(node) + n;
    this.t.set(node, N.LOOKUP_LO, (count % TWO32) | 0);
    this.t.set(node, N.LOOKUP_HI, Math.floor(count / TWO32) | 0);
    return count;
  }

  /** The node's lookup count. */
  lookups(node: number): number {
    return this.t.locked(() => this.count(node));
  }

  /**
   * An entry reply for `name` in `parent` is about to be sent: the node at that name (made if none), its
   * lookup count one higher and its type updated. Undefined when the table (or its name heap) is full.
   */
  enter(parent: number, name: Uint8Array, type: NodeTypeValue): NodeRef | undefined {
    const hash = fnv1a(parent, name);
    return this.t.locked(() => {
      let node = this.find(parent, name, hash);
      if (node === 0) {
        const fresh = this.t.alloc();
        if (fresh === undefined) return undefined;
        if (!this.setName(fresh, name)) {
          this.t.free(fresh);
          return undefined;
        }
        node = fresh;
        this.t.set(node, N.PARENT, parent);
        this.hashIn(node, hash);
      }
      this.t.set(node, N.TYPE, type);
      this.addLookups(node, 1);
      return { node, gen: this.t.gen(node) };
    });
  }

  /** FORGET: `n` lookups of `node` dropped; at zero the node is freed. False for a node that is not live. */
  forget(node: number, n: number): boolean {
    return this.t.locked(() => {
      if (!this.t.isLive(node) || node === ROOT_NODE) return node === ROOT_NODE;
      // The kernel never forgets more than it looked up; if it did, the node goes at zero all the same.
      if (this.addLookups(node, -Math.min(n, this.count(node))) > 0) return true;
      this.unhash(node);
      this.heap.free(this.t.get(node, N.NAME));
      this.t.free(node);
      return true;
    });
  }

  /** UNLINK / RMDIR done: the name no longer leads to its node (which lives until forgotten). */
  detach(parent: number, name: Uint8Array): void {
    const hash = fnv1a(parent, name);
    this.t.locked(() => {
      const node = this.find(parent, name, hash);
      if (node !== 0) this.unhash(node);
    });
  }

  /** The type of the node at (parent, name), if the table knows one. */
  typeAt(parent: number, name: Uint8Array): NodeTypeValue | undefined {
    const hash = fnv1a(parent, name);
    return this.t.locked(() => {
      const node = this.find(parent, name, hash);
      return node === 0 ? undefined : this.typeOf(node);
    });
  }

  /**
   * RENAME done: the node at (from, fromName) now is (to, toName); whatever was at the target is detached
   * (replaced). False if the name heap is full (the node is then detached: later lookups find it afresh).
   */
  rename(from: number, fromName: Uint8Array, to: number, toName: Uint8Array): boolean {
    const src = fnv1a(from, fromName);
    const dst = fnv1a(to, toName);
    return this.t.locked(() => {
      const victim = this.find(to, toName, dst);
      if (victim !== 0) this.unhash(victim);
      const node = this.find(from, fromName, src);
      if (node === 0) return true;
      this.unhash(node);
      if (!this.setName(node, toName)) return false;
      this.t.set(node, N.PARENT, to);
      this.hashIn(node, dst);
      return true;
    });
  }

  /**
   * The path of `node` from the share's root, with `child` appended when given, as vboxsf builds it from the
   * dentry chain ("/" for the root, "/a/b" below it). Undefined if the node is not live.
   */
  path(node: number, child?: Uint8Array): Uint8Array | undefined {
    return this.t.locked(() => {
      const parts: Uint8Array[] = child === undefined ? [] : [child];
      let n = node;
      for (let depth = 0; n !== ROOT_NODE; depth++) {
        if (!this.t.isLive(n) || depth > MAX_DEPTH) return undefined;
        parts.push(this.nameOf(n));
        n = this.t.get(n, N.PARENT);
      }
      if (parts.length === 0) return Uint8Array.of(0x2f);
      let len = 0;
      for (const p of parts) len += p.length + 1;
      const out = new Uint8Array(len);
      let at = 0;
      for (let i = parts.length - 1; i >= 0; i--) {
        out[at++] = 0x2f;
        out.set(parts[i]!, at);
        at += parts[i]!.length;
      }
      return out;
    });
  }

  /** The generation of `node`. */
  gen(node: number): number {
    return this.t.gen(node);
  }

  /** Every live node with its lookup count (audits: what the kernel still holds). */
  audit(): { node: number; lookups: number }[] {
    return this.t.liveSlots().map((node) => ({ node, lookups: this.lookups(node) }));
  }
}
