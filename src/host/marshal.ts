// Guest parameters <-> service parameters (cf. vmmdevR3HgcmInitHostParameters and
// vmmdevR3HgcmCompleteCallRequest): host buffers are filled from guest memory for TO_HOST directions and
// copied back at completion for FROM_HOST ones; NoBouncePageList becomes PAGES, accessed in place.
// Runs on a host worker thread (for an inline service, the thread handling the port write).
import { HgcmReqFlag, ParmDirection, ParmType, SvcParmType, VMMDevHGCMRequestHeader } from '../abi/index.js';
import type { GuestPages, SvcParm } from '../hgcm/index.js';
import { gpa, type GuestMemory } from '../runtime/index.js';
import type { ParsedCall, ParsedParm, PhysRun } from '../vmmdev/index.js';
import { threadHostBuffers } from './buffers.js';

/** Walk the part [off, off + len) of a run list: fn(run phys (-1 = NIL), byte offset into the run, chunk start, chunk length). */
function eachChunk(
  runs: readonly PhysRun[],
  off: number,
  len: number,
  fn: (phys: number, chunkOff: number, at: number, n: number) => void,
): void {
  let pos = 0;
  for (const r of runs) {
    const start = Math.max(off, pos);
    const end = Math.min(pos + r.len, off + len);
    if (start < end) fn(r.phys, start - pos, start - off, end - start);
    pos += r.len;
    if (pos >= off + len) return;
  }
}

/** Copy the buffer bytes [off, off + dst.length) out of guest memory (NIL runs read as zero). */
export function gatherRuns(mem: GuestMemory, runs: readonly PhysRun[], off: number, dst: Uint8Array): void {
  dst.fill(0);
  eachChunk(runs, off, dst.length, (phys, chunkOff, at, n) => {
    if (phys >= 0) mem.readPhys(phys + chunkOff, dst.subarray(at, at + n));
  });
}

/** Copy `src` into the buffer at `off` in guest memory (NIL runs and unbacked bytes are dropped). */
export function scatterRuns(mem: GuestMemory, runs: readonly PhysRun[], off: number, src: Uint8Array): void {
  eachChunk(runs, off, src.length, (phys, chunkOff, at, n) => {
    if (phys >= 0) mem.writePhys(phys + chunkOff, src.subarray(at, at + n));
  });
}

/**
 * PAGES access to a guest buffer: reads in place (copies or zero-copy views), writes staged until
 * completion (applyStaged) or, for a call no cancel can overtake, in place (landing); scratch buffers from
 * this thread's HostBuffers.
 */
class RunPages implements GuestPages {
  readonly size: number;
  private readonly mem: GuestMemory;
  private readonly physRuns: readonly PhysRun[];
  private readonly writable: boolean;
  /** The call completes inside its port write: nothing can cancel it before its completion. */
  private readonly inPortWrite: boolean;
  private staged: { off: number; src: Uint8Array }[] | undefined;
  private scratches: Uint8Array[] | undefined;
  private pairs: readonly (readonly [number, number])[] | undefined;

  constructor(mem: GuestMemory, p: ParsedParm, inPortWrite: boolean) {
    this.mem = mem;
    this.inPortWrite = inPortWrite;
    this.size = p.size;
    this.physRuns = p.runs;
    this.writable = (p.dir & ParmDirection.FROM_HOST) !== 0;
  }
  /** The pairs, built when first asked for (the service only asks for their count, or not at all). */
  get runs(): readonly (readonly [number, number])[] {
    return (this.pairs ??= this.physRuns.map((r) => [r.phys, r.len] as const));
  }
  read(off: number, dst: Uint8Array): void {
    checkRange(off, dst.length, this.size);
    gatherRuns(this.mem, this.physRuns, off, dst);
  }
  views(off: number, len: number): readonly Uint8Array[] | undefined {
    checkRange(off, len, this.size);
    return this.viewsOf(off, len);
  }
  landing(off: number, len: number): readonly Uint8Array[] | undefined {
    checkRange(off, len, this.size);
    // SAFETY: in place only where completion would have copied the bytes anyway: a FROM_HOST buffer of a
    // call handled inside its port write. The device handles one request at a time (its request lock on
    // the EMT, its one thread otherwise), and every cancel (HGCMCancel2, the legacy HGCMCancel) is a
    // request, so this call's completion finds it uncancelled.
    return this.writable && this.inPortWrite ? this.viewsOf(off, len) : undefined;
  }
  private viewsOf(off: number, len: number): readonly Uint8Array[] | undefined {
    // One run (a buffer of adjacent pages, which the device's parse merges): one view, no walk.
    const first = this.physRuns.length === 1 ? this.physRuns[0]! : undefined;
    if (first !== undefined && first.phys >= 0 && len > 0 && off + len <= first.len) {
      const phys = first.phys + off;
      return this.mem.contains(phys, len) ? [this.mem.view(gpa(phys), len)] : undefined;
    }
    const out: Uint8Array[] = [];
    let plain = true;
    eachChunk(this.physRuns, off, len, (phys, chunkOff, _at, n) => {
      if (phys < 0 || !this.mem.contains(phys + chunkOff, n)) plain = false;
      else if (plain) out.push(this.mem.view(gpa(phys + chunkOff), n));
    });
    return plain ? out : undefined;
  }
  write(off: number, src: Uint8Array): void {
    checkRange(off, src.length, this.size);
    if (!this.writable) throw new RangeError('write to a page list without FROM_HOST direction');
    (this.staged ??= []).push({ off, src });
  }
  scratch(len: number): Uint8Array {
    checkRange(0, len, this.size);
    const buf = threadHostBuffers.acquire(len);
    (this.scratches ??= []).push(buf);
    return buf;
  }
  /** Completion of an uncancelled call: copy the staged writes into guest memory, in order. */
  applyStaged(): void {
    for (const w of this.staged ?? []) scatterRuns(this.mem, this.physRuns, w.off, w.src);
    this.staged = undefined;
  }
  /** The call is over (completed or cancelled): give the scratch buffers back. */
  release(): void {
    for (const b of this.scratches ?? []) threadHostBuffers.release(b);
    this.scratches = undefined;
  }
}

/** The call is over, whatever its outcome: give back what its PAGES parameters borrowed. */
export function releaseParms(parms: readonly SvcParm[]): void {
  // A service may have left anything in the array (the contract check reports it): look before touching.
  for (const p of parms) if (p?.type === SvcParmType.PAGES && p.pages instanceof RunPages) p.pages.release();
}

function checkRange(off: number, len: number, size: number): void {
  if (!(Number.isSafeInteger(off) && off >= 0 && len >= 0 && off + len <= size)) {
    throw new RangeError(`[${off}, +${len}) outside a ${size}-byte guest buffer`);
  }
}

/**
 * The service's view of a call's parameters (copy-in at dispatch). `inPortWrite`: the call is served inside
 * its port write (so its PAGES buffers may be written in place, GuestPages.landing).
 */
export function hostParms(
  mem: GuestMemory,
  call: ParsedCall,
  snapshot: Uint8Array,
  inPortWrite: boolean,
): SvcParm[] {
  const out: SvcParm[] = [];
  for (const p of call.parms) out.push(hostParm(mem, p, snapshot, inPortWrite));
  return out;
}

function hostParm(mem: GuestMemory, p: ParsedParm, snapshot: Uint8Array, inPortWrite: boolean): SvcParm {
  switch (p.svcType) {
    case SvcParmType.U32:
      return { type: SvcParmType.U32, u32: p.value32 };
    case SvcParmType.U64:
      return { type: SvcParmType.U64, u64: p.value64 };
    case SvcParmType.PAGES:
      return {
        type: SvcParmType.PAGES,
        size: p.size,
        pages: new RunPages(mem, p, inPortWrite),
        dir: p.dir,
      };
    default: {
      const buf = new Uint8Array(p.size);
      if ((p.dir & ParmDirection.TO_HOST) !== 0) {
        if (p.type === ParmType.Embedded) {
          const r = p.runs[0]!;
          buf.set(snapshot.subarray(r.phys, r.phys + r.len));
        } else {
          gatherRuns(mem, p.runs, 0, buf);
        }
      }
      return { type: SvcParmType.PTR, size: p.size, buf, dir: p.dir };
    }
  }
}

/** Write a 32-bit value into guest memory if it lies in RAM (a write to unbacked memory is dropped). */
export function put32(mem: GuestMemory, addr: number, v: number): void {
  if (mem.contains(addr, 4)) mem.writeU32(gpa(addr), 0, v);
}

/** Set VBOX_HGCM_REQ_DONE with an atomic OR (a plain read-modify-write at a misaligned address). */
export function setDone(mem: GuestMemory, phys: number): void {
  const flagsAt = phys + VMMDevHGCMRequestHeader.off.fu32Flags;
  if (!mem.contains(flagsAt, 4)) return;
  const base = gpa(phys);
  const off = VMMDevHGCMRequestHeader.off.fu32Flags;
  if (flagsAt % 4 === 0) mem.or32(base, off, HgcmReqFlag.DONE);
  // A request at a misaligned address cannot use Atomics (x86 would lock the bus); plain RMW instead.
  else mem.writeU32(base, off, mem.readU32(base, off) | HgcmReqFlag.DONE);
}

/**
 * Completion's copy-out for a call at guest-physical `phys`: 32/64-bit values at their offsets, FROM_HOST
 * buffers (at most the guest buffer's size), and the size fields upstream updates (Embedded, Contiguous
 * and NoBounce page lists; never LinAddr or PageList). Nothing outside RAM is touched.
 */
export function copyOut(mem: GuestMemory, phys: number, call: ParsedCall, parms: readonly SvcParm[]): void {
  for (let i = 0; i < call.parms.length; i++) {
    const p = call.parms[i]!;
    const h = parms[i];
    if (h === undefined || h.type !== p.svcType) continue;
    const at = phys + p.off;
    switch (h.type) {
      case SvcParmType.U32:
        put32(mem, at + 4, h.u32);
        break;
      case SvcParmType.U64:
        if (mem.contains(at + 4, 8)) mem.writeU64(gpa(at + 4), 0, h.u64);
        break;
      case SvcParmType.PTR: {
        // Upstream updates the size field of Embedded and Contiguous buffers to the host's size, unclamped
        // and whatever the direction; LinAddr and PageList sizes are left alone ("@todo Update the size?").
        if (p.sizeFieldOff !== undefined) put32(mem, phys + p.sizeFieldOff, h.size >>> 0);
        if ((p.dir & ParmDirection.FROM_HOST) === 0 || p.size === 0) break;
        const n = Math.max(0, Math.min(h.size >>> 0, p.size, h.buf.length));
        const data = h.buf.subarray(0, n);
        if (p.type === ParmType.Embedded) {
          mem.writePhys(phys + p.runs[0]!.phys, data);
        } else {
          scatterRuns(mem, p.runs, 0, data);
        }
        break;
      }
      case SvcParmType.PAGES:
        if (h.pages instanceof RunPages) h.pages.applyStaged();
        if (p.sizeFieldOff !== undefined) put32(mem, phys + p.sizeFieldOff, Math.min(h.size, p.size));
        break;
    }
  }
}
