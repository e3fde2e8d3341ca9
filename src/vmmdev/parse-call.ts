// Parsing and validating an HGCM call from its snapshot (the host's one copy of the request); models
// vmmdevR3HgcmCall, vmmdevR3HgcmCallAlloc and vmmdevR3HgcmCallFetchGuestParms in VMMDevHGCM.cpp.
// A pure function of the snapshot bytes and the RAM size: the device runs it to accept or refuse a call,
// the completer runs it again on the same validated bytes, and both always agree.
// Runs on the thread handling the port write.
import {
  HGCMFunctionParameter64,
  HGCMPageListInfo,
  PAGE_SIZE,
  ParmDirection,
  ParmType,
  RequestType,
  Status,
  SvcParmType,
  VMMDEV_MAX_HGCM_DATA_SIZE,
  VMMDEV_MAX_HGCM_PARMS,
  VMMDevHGCMCall,
  parmFlagsAreValid,
  type ParmTypeValue,
  type StatusCode,
  type SvcParmTypeValue,
} from '../abi/index.js';
import { bigToSafe, type ByteView } from '../runtime/index.js';

/**
 * A run of guest-physical memory. `phys` is -1 for NIL (an untranslatable page: reads zero, writes
 * skipped); a run past the end of RAM is unbacked memory (reads 0xFF, writes dropped), as in PGM.
 */
export interface PhysRun {
  readonly phys: number;
  readonly len: number;
}

/** One validated parameter. */
export interface ParsedParm {
  /** Guest parameter type. */
  readonly type: ParmTypeValue;
  /** Byte offset of the HGCMFunctionParameter in the request. */
  readonly off: number;
  /** What the service sees. */
  readonly svcType: SvcParmTypeValue;
  readonly value32: number;
  readonly value64: bigint;
  /** Buffer bytes (cb). */
  readonly size: number;
  /** VBOX_HGCM_F_PARM_DIRECTION_* for buffers. */
  readonly dir: number;
  /** Where the buffer lives in guest memory, in order. */
  readonly runs: readonly PhysRun[];
  /** Which size field completion updates: none for LinAddr/PageList (upstream leaves them), else its offset. */
  readonly sizeFieldOff: number | undefined;
}

/** A validated call. */
export interface ParsedCall {
  readonly clientId: number;
  readonly fn: number;
  readonly is64: boolean;
  readonly parms: readonly ParsedParm[];
  /** Bytes of host buffers (PTR parameters) the call needs. */
  readonly dataBytes: number;
}

const INVALID = Status.VERR_INVALID_PARAMETER;

/**
 * Validate the HGCM call in `snap` (exactly header.size bytes). Returns the call, or the status the device
 * puts in header.rc.
 */
export function parseHgcmCall(snap: ByteView, requestType: number, ramSize: number): ParsedCall | StatusCode {
  const size = snap.length;
  if (size < VMMDevHGCMCall.size) return INVALID;
  const is64 = requestType === RequestType.HGCMCall64;
  const parmSize = is64 ? 16 : 12;
  const cParms = snap.u32(VMMDevHGCMCall.off.cParms);
  if (cParms > VMMDEV_MAX_HGCM_PARMS) return INVALID;
  const parmsEnd = VMMDevHGCMCall.size + cParms * parmSize;
  if (parmsEnd > size) return INVALID;

  const parms: ParsedParm[] = [];
  let dataBytes = 0;
  for (let i = 0; i < cParms; i++) {
    const off = VMMDevHGCMCall.size + i * parmSize;
    const p = parseParm(snap, off, is64, parmsEnd, ramSize);
    if (typeof p === 'number') return p;
    // Host buffers are charged to the request's heap budget (NoBounce lists are used in place).
    if (p.svcType === SvcParmType.PTR) dataBytes += p.size;
    parms.push(p);
  }
  // vmmdevR3HgcmInitHostParameters: after every parameter was fetched, the host buffers together must
  // stay within the per-request budget of 128 MiB, else VERR_NO_MEMORY. (Upstream's budget also counts its
  // command structure and page arrays, a few bytes per page; the model counts the buffers.)
  if (dataBytes > VMMDEV_MAX_HGCM_DATA_SIZE) return Status.VERR_NO_MEMORY;
  return {
    clientId: snap.u32(VMMDevHGCMCall.off.u32ClientID),
    fn: snap.u32(VMMDevHGCMCall.off.u32Function),
    is64,
    parms,
    dataBytes,
  };
}

const P = HGCMFunctionParameter64.off;

function value(
  type: ParmTypeValue,
  off: number,
  svcType: SvcParmTypeValue,
  value32: number,
  value64: bigint,
): ParsedParm {
  return { type, off, svcType, value32, value64, size: 0, dir: 0, runs: [], sizeFieldOff: undefined };
}

function buffer(
  type: ParmTypeValue,
  off: number,
  svcType: SvcParmTypeValue,
  size: number,
  dir: number,
  runs: PhysRun[],
  sizeFieldOff: number | undefined,
): ParsedParm {
  return { type, off, svcType, value32: 0, value64: 0n, size, dir, runs, sizeFieldOff };
}

function parseParm(
  snap: ByteView,
  off: number,
  is64: boolean,
  parmsEnd: number,
  ramSize: number,
): ParsedParm | StatusCode {
  const type = snap.u32(off + P.type);
  switch (type) {
    case ParmType.U32:
      return value(type, off, SvcParmType.U32, snap.u32(off + P.value32), 0n);
    case ParmType.U64:
      return value(type, off, SvcParmType.U64, 0, snap.u64(off + P.value64));
    case ParmType.LinAddr:
    case ParmType.LinAddr_In:
    case ParmType.LinAddr_Out: {
      const cb = snap.u32(off + P.pointerSize);
      if (cb > VMMDEV_MAX_HGCM_DATA_SIZE) return INVALID;
      const linear = is64
        ? bigToSafe(snap.u64(off + P.pointerLinearAddr))
        : snap.u32(off + P.pointerLinearAddr);
      const dir =
        type === ParmType.LinAddr_In
          ? ParmDirection.TO_HOST
          : type === ParmType.LinAddr_Out
            ? ParmDirection.FROM_HOST
            : ParmDirection.BOTH;
      return buffer(type, off, SvcParmType.PTR, cb, dir, translateLinear(linear, cb, ramSize), undefined);
    }
    case ParmType.PageList:
    case ParmType.ContiguousPageList:
    case ParmType.NoBouncePageList:
      return parsePageList(snap, off, type, parmsEnd, ramSize);
    case ParmType.Embedded: {
      const word = snap.u32(off + P.embeddedFlagsOffset);
      const flags = word & 0xff;
      const offData = word >>> 8;
      const cb = snap.u32(off + P.embeddedCbData);
      if (cb > VMMDEV_MAX_HGCM_DATA_SIZE) return INVALID;
      if (!parmFlagsAreValid(flags)) return Status.VERR_INVALID_FLAGS;
      if (offData < parmsEnd || offData > snap.length || cb > snap.length - offData) return INVALID;
      // The data lives inside the request; completion writes it back there (the snapshot's own bytes are
      // only the copy-in source). Runs are request-relative here and rebased by the caller.
      return buffer(
        type,
        off,
        SvcParmType.PTR,
        cb,
        flags,
        [{ phys: offData, len: cb }],
        off + P.embeddedCbData,
      );
    }
    default:
      // Invalid (0), PhysAddr (3, "doesn't work"), LinAddr_Locked* (7-9, guest-internal) and unknown types.
      return INVALID;
  }
}

function parsePageList(
  snap: ByteView,
  off: number,
  type: ParmTypeValue,
  parmsEnd: number,
  ramSize: number,
): ParsedParm | StatusCode {
  const size = snap.length;
  const cb = snap.u32(off + P.pageListSize);
  const infoOff = snap.u32(off + P.pageListOffset);
  if (cb > VMMDEV_MAX_HGCM_DATA_SIZE) return INVALID;
  if (infoOff < parmsEnd || size < HGCMPageListInfo.size || infoOff > size - HGCMPageListInfo.size)
    return INVALID;
  const flags = snap.u32(infoOff + HGCMPageListInfo.off.flags);
  const offFirst = snap.u16(infoOff + HGCMPageListInfo.off.offFirstPage);
  const cPages = snap.u16(infoOff + HGCMPageListInfo.off.cPages);
  if (cPages === 0 || cPages > 1 + Math.floor((size - infoOff - HGCMPageListInfo.size) / 8)) return INVALID;
  if (!parmFlagsAreValid(flags)) return Status.VERR_INVALID_FLAGS;
  if (offFirst >= PAGE_SIZE) return INVALID;
  if (type === ParmType.ContiguousPageList && cPages !== 1) return INVALID;
  if (type === ParmType.NoBouncePageList && cPages !== Math.ceil((offFirst + cb) / PAGE_SIZE)) return INVALID;

  // Each 64-bit entry as two 32-bit halves (a 1 MiB buffer has 256 pages: no BigInt per page, and the low
  // 12 bits by a mask, not a floating-point %). Addresses past 2^53 cannot be guest RAM; they read as
  // unbacked memory. One pass checks every entry and builds the runs: page 0 is addressed as aPages[0] |
  // offFirstPage, the rest as given (upstream checks neither for RAM); the runs are thrown away if a check
  // below fails.
  const runs: MutableRun[] = [];
  const contiguous = type === ParmType.ContiguousPageList;
  let remaining = cb;
  let firstPhys = 0;
  let misaligned = false;
  let outsideRam = false;
  for (let i = 0, at = infoOff + HGCMPageListInfo.off.aPages; i < cPages; i++, at += 8) {
    const lo = snap.u32(at);
    const hi = snap.u32(at + 4);
    const low12 = lo & (PAGE_SIZE - 1);
    if (i === 0 ? low12 !== 0 && low12 !== offFirst : low12 !== 0) misaligned = true;
    if (hi !== 0 || lo - low12 + PAGE_SIZE > ramSize) outsideRam = true;
    const page = hi > MAX_SAFE_HIGH ? Number.MAX_SAFE_INTEGER : hi * 2 ** 32 + lo;
    if (i === 0) firstPhys = orLow12(page, offFirst);
    if (contiguous || remaining === 0) continue;
    const len = Math.min(PAGE_SIZE - (i === 0 ? offFirst : 0), remaining);
    pushRun(runs, i === 0 ? firstPhys : page, len);
    remaining -= len;
  }
  if (type === ParmType.NoBouncePageList) {
    // Locked in place: offsets must be consistent and every page real guest RAM. Checked on the full
    // 64-bit addresses: a page-aligned address past 2^53 is no RAM, not a misaligned pointer.
    if (misaligned) return Status.VERR_INVALID_POINTER;
    if (outsideRam) return Status.VERR_PGM_INVALID_GC_PHYSICAL_ADDRESS;
  }
  if (contiguous) {
    if (cb > 0) pushRun(runs, firstPhys, cb);
  } else if (remaining > 0) {
    // A plain page list shorter than its buffer: the rest is never read from or written to the guest.
    pushRun(runs, -1, remaining);
  }
  const svcType = type === ParmType.NoBouncePageList ? SvcParmType.PAGES : SvcParmType.PTR;
  const sizeField = type === ParmType.PageList ? undefined : off + P.pageListSize;
  return buffer(type, off, svcType, cb, flags, runs, sizeField);
}

/** `page | low`, for low < 4096, on numbers up to 2^53. */
function orLow12(page: number, low: number): number {
  const hi = page - (page % PAGE_SIZE);
  return hi + ((page % PAGE_SIZE) | low);
}

/**
 * Guest-linear -> physical through the identity map. A page with no RAM behind it cannot be translated
 * and becomes NIL: skipped silently (reads as zero, writes dropped), as PDMDevHlpPhysGCPtr2GCPhys
 * failures are upstream.
 */
function translateLinear(linear: number | undefined, cb: number, ramSize: number): PhysRun[] {
  const runs: MutableRun[] = [];
  if (cb === 0) return runs;
  if (linear === undefined) {
    runs.push({ phys: -1, len: cb });
    return runs;
  }
  let addr = linear;
  let remaining = cb;
  while (remaining > 0) {
    const len = Math.min(PAGE_SIZE - (addr % PAGE_SIZE), remaining);
    pushRun(runs, addr + len <= ramSize ? addr : -1, len);
    addr += len;
    remaining -= len;
  }
  return runs;
}

/** A run while its list is built. */
interface MutableRun {
  phys: number;
  len: number;
}

/** The largest high half of a 64-bit address below 2^53. */
const MAX_SAFE_HIGH = 0x1fffff;

/** Append a run, merging with the previous one when contiguous (or both NIL). */
function pushRun(runs: MutableRun[], phys: number, len: number): void {
  const last = runs[runs.length - 1];
  if (
    last !== undefined &&
    ((phys === -1 && last.phys === -1) || (phys !== -1 && last.phys !== -1 && last.phys + last.len === phys))
  ) {
    last.len += len;
  } else {
    runs.push({ phys, len });
  }
}
