// The FUSE front's server: a guest program each vCPU of the mount runs for the mount's life (runs on a vCPU
// worker). It reads one request at a time from /dev/fuse into guest RAM (the descriptor number is the
// process's, opened by the mount on the main thread; the read blocks this vCPU, as a guest thread would
// block in the kernel), serves it as vboxsf would serve the VFS operation, and writes the reply from guest
// RAM in one write. It ends when the kernel ends the connection (ENODEV at unmount, ECONNABORTED on abort).
import * as fs from 'node:fs';
import { FUSE_MIN_READ_BUFFER, FuseOp, fuse_in_header, fuse_out_header } from '../abi/index.js';
import { gpa, type GuestAddress } from '../runtime/index.js';
import { SharedWords64 } from '../runtime/index.js';
import { wait, waitFor } from '../runtime/index.js';
import { decodeRequest, E, type Ctx, type FuseRequest, type Reply } from './ctx.js';
import { handlerOf, INTERRUPTIBLE } from './dispatch.js';
import { FileTable } from './files.js';
import { kernelLib, type GuestContext } from './guest.js';
import { Inflight } from './inflight.js';
import { FrontState, FrontWord, FrontWords, type FrontShared } from './layout.js';
import { NodeTable } from './nodes.js';
import { SCRATCH_BYTES, Vboxsf } from './wrappers.js';

const PAGE = 4096;

/** What the mount hands each vCPU's server. */
export interface ServeArgs {
  /** The /dev/fuse descriptor (process-wide). */
  readonly fd: number;
  readonly front: FrontShared;
  /** vCPUs serving the mount. */
  readonly vcpus: number;
}

/** What a server did, when it ends. */
export interface ServeReport {
  readonly vcpu: number;
  readonly requests: number;
  /** How the reads ended ('ENODEV' after unmount, 'ECONNABORTED' after an abort). */
  readonly end: string;
}

/** The guest RAM one server works in: the request buffer (page aligned) and scratch. */
class Buffers {
  private readonly g: GuestContext;
  /** Allocation behind the request buffer, and the buffer itself. */
  private block = 0;
  io: GuestAddress = gpa(0);
  readonly ioSize: number;
  readonly scratch: GuestAddress;
  /** 16 bytes after the scratch for error replies (header only). */
  readonly errHeader: GuestAddress;

  constructor(g: GuestContext, maxWrite: number) {
    this.g = g;
    // A WRITE of max_write bytes comes with its 80 bytes of headers; the kernel wants one read to hold it.
    this.ioSize = Math.max(FUSE_MIN_READ_BUFFER, maxWrite + PAGE);
    this.fresh();
    this.scratch = g.alloc(SCRATCH_BYTES + fuse_out_header.size);
    this.errHeader = gpa(this.scratch + SCRATCH_BYTES);
  }

  /** A new request buffer (at start, and after a leaked call quarantined the old one). */
  fresh(): void {
    this.block = this.g.alloc(this.ioSize + PAGE);
    this.io = gpa(Math.ceil(this.block / PAGE) * PAGE);
  }

  free(): void {
    // A quarantined block stays quarantined: free() leaves it alone.
    this.g.free(this.block);
    this.g.free(this.scratch);
  }
}

/** Run the server on this vCPU until the connection ends. */
export function main(g: GuestContext, a: ServeArgs): ServeReport {
  const k = g.kernel;
  const mem = g.ram;
  const front = new FrontWords(a.front);
  const nodes = NodeTable.attach(a.front.nodes);
  const files = FileTable.attach(a.front.files);
  const inflight = new Inflight(new SharedWords64(a.front.wide), a.vcpus);
  const buf = new Buffers(g, a.front.config.maxWrite);
  const lib = kernelLib(g);
  const vsf = new Vboxsf({
    lib,
    exec: (p) => g.run(p),
    client: front.get(FrontWord.CLIENT),
    root: front.get(FrontWord.ROOT),
    scratch: buf.scratch,
  });
  let abandon = false;
  const base = {
    mem,
    vsf,
    nodes,
    files,
    front,
    config: a.front.config,
    heap: { alloc: (n: number) => k.data.alloc(n), free: (addr: number) => void k.data.free(gpa(addr)) },
    vcpu: g.vcpu,
    inflight,
    signal: (v: number) => k.bus.signal(v),
    pause: (ms: number) =>
      void g.run(wait(waitFor(k.bus.wake, () => false, { deadline: g.now() + ms, hint: 'idle' }))),
    abandonBuffer: () => {
      abandon = true;
    },
  };
  front.words.add(FrontWord.READERS, 1);
  let requests = 0;
  let end = 'ENODEV';
  try {
    for (;;) {
      let n: number;
      try {
        n = g.blocking(() => fs.readSync(a.fd, mem.view(buf.io, buf.ioSize)));
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'EINTR' || code === 'EAGAIN') continue;
        if (code === 'ENODEV' || code === 'ECONNABORTED') {
          end = code;
          break;
        }
        throw e;
      }
      const req = decodeRequest(mem, buf.io, n);
      if (req === undefined) {
        // The kernel never sends this; if it did, its requester must not wait forever: EIO if we can say to whom.
        if (n >= fuse_in_header.size)
          sendError(g, a.fd, buf, mem.readU64(buf.io, fuse_in_header.off.unique), E.EIO);
        continue;
      }
      requests++;
      const crash = front.get(FrontWord.CRASH_OP);
      if (crash !== 0 && crash === req.opcode) throw new Error(`injected crash at FUSE opcode ${req.opcode}`);
      front.countOp(req.opcode);
      const busy = inflight.begin(
        g.vcpu,
        req.unique,
        a.front.config.interruptibleIo && INTERRUPTIBLE.has(req.opcode),
      );
      if (busy > 1) front.raise('maxInFlight', busy);
      const c: Ctx = {
        ...base,
        req,
        out: gpa(buf.io + fuse_out_header.size),
        outMax: buf.ioSize - fuse_out_header.size,
      };
      const reply = traced(g, req, () => handlerOf(req.opcode)(c));
      // Counted before the reply: once it is written, the program may be gone before anyone looks.
      if (reply.kind === 'error') {
        front.count('errors');
        if (reply.err === E.EINTR) front.count('eintr');
      }
      if (abandon) front.count('bufferLeaks');
      const sent = send(g, a.fd, buf, req, reply);
      // The kernel processed the INIT reply inside our write: the mount is usable, its settings final.
      if (req.opcode === FuseOp.INIT && sent && reply.kind === 'ok')
        front.set(FrontWord.STATE, FrontState.INITIALISED);
      if (!sent && reply.kind === 'ok' && reply.entered !== undefined) nodes.forget(reply.entered, 1);
      if (!sent) front.count('repliesLost');
      if (inflight.end(g.vcpu)) g.run(inflight.drain(k.bus, k.clock));
      else k.bus.consumeSignals();
      if (abandon) {
        // The leaked call's pages stay quarantined (and counted by the guest library, and above, before the
        // reply); serve from new ones.
        buf.fresh();
        abandon = false;
      }
    }
  } finally {
    front.words.add(FrontWord.READERS, -1);
    buf.free();
  }
  return { vcpu: g.vcpu, requests, end };
}

/** The errno name of a failed fs call ('' for anything else). */
function errnoCode(e: unknown): string {
  // SAFETY: only reads an optional property of an object.
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

/** Run a handler as one traced "call" of this vCPU (the request's host calls nest inside it). */
function traced(g: GuestContext, req: FuseRequest, fn: () => Reply): Reply {
  const t = g.kernel.tracer;
  t.enterCall();
  t.begin('fuseRequest', req.opcode, Number(req.nodeid & 0xffffffffn));
  try {
    const r = fn();
    t.end('fuseRequest', req.opcode, r.kind === 'error' ? r.err : 0);
    return r;
  } finally {
    t.leaveCall();
  }
}

/** An error reply to request `unique`. */
function sendError(g: GuestContext, fd: number, buf: Buffers, unique: bigint, err: number): boolean {
  return send(g, fd, buf, { unique } as const, { kind: 'error', err });
}

/** Write the reply, if any: false if the kernel no longer has the request (interrupted or aborted). */
function send(
  g: GuestContext,
  fd: number,
  buf: Buffers,
  req: Pick<FuseRequest, 'unique'>,
  reply: Reply,
): boolean {
  if (reply.kind === 'none') return true;
  const mem = g.ram;
  const O = fuse_out_header.off;
  const at = reply.kind === 'error' ? buf.errHeader : buf.io;
  const len = fuse_out_header.size + (reply.kind === 'ok' ? reply.bytes : 0);
  mem.writeU32(at, O.len, len);
  mem.writeI32(at, O.error, reply.kind === 'error' ? -reply.err : 0);
  mem.writeU64(at, O.unique, req.unique);
  try {
    fs.writeSync(fd, mem.view(at, len));
    return true;
  } catch (e) {
    const code = errnoCode(e);
    // ENOENT: the request is gone (a fatal signal dequeued it, or this was an INTERRUPT reply for a request
    // already answered). ENODEV: the connection ended under us; the next read says so.
    if (code === 'ENOENT' || code === 'ENODEV' || code === 'ECONNABORTED') return false;
    throw e;
  }
}
