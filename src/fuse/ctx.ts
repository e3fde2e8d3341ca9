// What a FUSE operation handler gets (the request, decoded once, and the mount's state) and returns (the
// reply to send), with the helpers the handlers share: names from the request, paths of nodes, entry and
// attribute replies. Handlers read everything they need from the request before they write the reply,
// which goes into the same guest buffer the request came in (after the 16-byte out header).
import { fuse_in_header, fuse_read_in } from '../abi/index.js';
import { gpa, type GuestAddress } from '../runtime/index.js';
import type { GuestMemory } from '../runtime/index.js';
import { nodeTypeOf, writeAttrOut, writeEntry } from './attr.js';
import type { ChunkHeap } from './dirbuf.js';
import type { FileTable } from './files.js';
import type { Inflight } from './inflight.js';
import type { FrontConfig, FrontWords } from './layout.js';
import type { NodeTable } from './nodes.js';
import type { Vboxsf } from './wrappers.js';

/** A request's header fields, and where its body lies in guest RAM. */
export interface FuseRequest {
  readonly opcode: number;
  readonly unique: bigint;
  readonly nodeid: bigint;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  /** Guest address of the body (after fuse_in_header) and its length. */
  readonly body: GuestAddress;
  readonly bodyLen: number;
}

/** Decode the header of the request at `buf` (`len` bytes read); undefined if it is malformed. */
export function decodeRequest(mem: GuestMemory, buf: GuestAddress, len: number): FuseRequest | undefined {
  if (len < fuse_in_header.size || mem.readU32(buf, fuse_in_header.off.len) !== len) return undefined;
  const H = fuse_in_header.off;
  return {
    opcode: mem.readU32(buf, H.opcode),
    unique: mem.readU64(buf, H.unique),
    nodeid: mem.readU64(buf, H.nodeid),
    uid: mem.readU32(buf, H.uid),
    gid: mem.readU32(buf, H.gid),
    pid: mem.readU32(buf, H.pid),
    body: gpa(buf + fuse_in_header.size),
    bodyLen: len - fuse_in_header.size,
  };
}

/** What a handler answers. */
export type Reply =
  /** No reply (FORGET, BATCH_FORGET, an INTERRUPT that was acted on). */
  | { readonly kind: 'none' }
  /** An error reply: a positive errno. */
  | { readonly kind: 'error'; readonly err: number }
  /** `bytes` of reply body written at Ctx.out; `entered`: the node whose lookup count the reply carries. */
  | { readonly kind: 'ok'; readonly bytes: number; readonly entered?: number };

/** Everything a handler works with. */
export interface Ctx {
  readonly req: FuseRequest;
  readonly mem: GuestMemory;
  readonly vsf: Vboxsf;
  readonly nodes: NodeTable;
  readonly files: FileTable;
  readonly front: FrontWords;
  readonly config: FrontConfig;
  /** Where the reply body goes (guest RAM) and how much room there is. */
  readonly out: GuestAddress;
  readonly outMax: number;
  /** Guest memory for directory listings. */
  readonly heap: ChunkHeap;
  /** This vCPU, and every vCPU's in-flight request (for INTERRUPT). */
  readonly vcpu: number;
  readonly inflight: Inflight;
  /** Post a signal to vCPU `v` (VcpuBus.signal). */
  readonly signal: (v: number) => void;
  /** Sleep up to `ms` (for INTERRUPT's bounded wait); a wake-up may end it early. */
  readonly pause: (ms: number) => void;
  /**
   * A call on the request buffer was leaked (its pages are quarantined and the host may still touch them):
   * the vCPU takes a fresh buffer before its next request.
   */
  readonly abandonBuffer: () => void;
}

/** Handler of one opcode. */
export type Handler = (c: Ctx) => Reply;

/** Reply helpers. */
export const ok = (bytes: number, entered?: number): Reply =>
  entered === undefined ? { kind: 'ok', bytes } : { kind: 'ok', bytes, entered };
export const fail = (err: number): Reply => ({ kind: 'error', err });
export const NO_REPLY: Reply = { kind: 'none' };

/** Errno numbers the handlers use (Linux x86-64). */
export const E = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EAGAIN: 11,
  EBADF: 9,
  ENOMEM: 12,
  EEXIST: 17,
  EINVAL: 22,
  ENFILE: 23,
  EROFS: 30,
  ENOSYS: 38,
  EPROTO: 71,
  ESTALE: 116,
} as const;

/** The NUL-terminated name at `off` of the request body (bounded by the body), or undefined. */
export function nameAt(c: Ctx, off: number): Uint8Array | undefined {
  if (off >= c.req.bodyLen) return undefined;
  const bytes = c.mem.read(gpa(c.req.body + off), c.req.bodyLen - off);
  const end = bytes.indexOf(0);
  return end <= 0 ? undefined : bytes.subarray(0, end);
}

/** The node a request's nodeid names, or undefined if it is not a live node. */
export function nodeOf(c: Ctx, nodeid: bigint = c.req.nodeid): number | undefined {
  return c.nodes.valid(nodeid) ? Number(nodeid) : undefined;
}

/** The path of `node` (with `child` appended), or undefined (a node gone: ESTALE). */
export function pathOf(c: Ctx, node: number, child?: Uint8Array): Uint8Array | undefined {
  return c.nodes.path(node, child);
}

/**
 * The child a request names: the parent (the request's node), the name at `nameOff` of the body, and the
 * child's path; or the error reply (EINVAL for a malformed request, ESTALE for a node that is gone).
 */
export function childOf(
  c: Ctx,
  nameOff: number,
): { parent: number; name: Uint8Array; path: Uint8Array } | Reply {
  const parent = nodeOf(c);
  const name = nameAt(c, nameOff);
  if (parent === undefined || name === undefined) return fail(E.EINVAL);
  const path = pathOf(c, parent, name);
  return path === undefined ? fail(E.ESTALE) : { parent, name, path };
}

/** Is this a reply (an error found while decoding) rather than the decoded value? */
export function isReply<T extends object>(x: T | Reply): x is Reply {
  return 'kind' in x;
}

/** A fuse_read_in (READ, READDIR): fh, offset, and the size bounded by the reply room; or EINVAL. */
export function readIn(c: Ctx): { fh: bigint; offset: bigint; size: number } | Reply {
  if (c.req.bodyLen < fuse_read_in.size) return fail(E.EINVAL);
  return {
    fh: c.mem.readU64(c.req.body, fuse_read_in.off.fh),
    offset: c.mem.readU64(c.req.body, fuse_read_in.off.offset),
    size: Math.min(c.mem.readU32(c.req.body, fuse_read_in.off.size), c.outMax),
  };
}

/** Reply with an entry for `name` in `parent` (+1 lookup), or ENFILE if the node table is full. */
export function replyEntry(c: Ctx, parent: number, name: Uint8Array, info: Uint8Array): Reply {
  const ref = c.nodes.enter(parent, name, nodeTypeOf(info));
  if (ref === undefined) {
    c.front.count('tableFull');
    return fail(E.ENFILE);
  }
  return ok(writeEntry(c.mem, c.out, ref, info, c.config.ttlMs, c.config), ref.node);
}

/** Reply with the attributes of `node`. */
export function replyAttr(c: Ctx, node: number, info: Uint8Array): Reply {
  return ok(writeAttrOut(c.mem, c.out, node, info, c.config.ttlMs, c.config));
}
