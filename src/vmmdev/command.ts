// VBOXHGCMCMD: a command from its listing by the device to its release by the host. The device copies each
// HGCM request into a shared arena once ("the full request is copied into a host buffer"), validates that
// copy, stores a call's parsed parameters beside it (VMMDevHGCM.cpp keeps them in the command, so completion
// never parses the request again) and lists the command (vmmdevR3HgcmCmdAlloc + vmmdevR3HgcmAddCommand);
// whichever host worker takes it reads the same bytes and a typed call back, and frees it
// (vmmdevR3HgcmCmdFree). Written on the thread handling the port write, read on a host worker thread.
//
//   call record, 32-bit words:  0 cParms   1 is64   2 dataBytes   3 runs in all
//   4 + 11*i: parameter i = TYPE OFF SVC_TYPE VALUE32 VALUE64_LO VALUE64_HI SIZE DIR SIZE_FIELD FIRST_RUN RUNS
//   then 3 words per run: PHYS_LO PHYS_HI LEN (NIL: both halves 0xFFFFFFFF)
//   SIZE_FIELD is the offset + 1 of the size field completion updates, or 0 for none.
import { RequestType, type ParmTypeValue, type SvcParmTypeValue } from '../abi/index.js';
import type { ClientTable } from '../hgcm/index.js';
import { ByteView, SharedHeap, point, sabHeapBacking, type Proc } from '../runtime/index.js';
import { CmdField, type CommandTable } from './commands.js';
import type { DeviceEnv, RequestCtx } from './device-env.js';
import type { ParsedCall, ParsedParm, PhysRun } from './parse-call.js';

/** The snapshot arena. */
export class SnapshotArena {
  readonly sab: SharedArrayBuffer;
  private readonly heap: SharedHeap;
  private readonly u8: Uint8Array;

  private constructor(sab: SharedArrayBuffer, heap: SharedHeap) {
    this.sab = sab;
    this.heap = heap;
    this.u8 = new Uint8Array(sab);
  }

  /** A new arena of `bytes` (rounded up to 16). */
  static create(bytes: number): SnapshotArena {
    const size = Math.ceil(bytes / 16) * 16 + 64;
    const sab = new SharedArrayBuffer(size);
    return new SnapshotArena(sab, SharedHeap.format(sabHeapBacking(sab), 0, size));
  }

  static attach(sab: SharedArrayBuffer): SnapshotArena {
    return new SnapshotArena(sab, SharedHeap.attach(sabHeapBacking(sab), 0));
  }

  /** Room for `len` bytes, or undefined (the host's heap budget is exhausted: VERR_NO_MEMORY). */
  alloc(len: number): number | undefined {
    return this.heap.alloc(len)?.off;
  }

  free(off: number): void {
    this.heap.free(off);
  }

  /** The bytes of a snapshot (a view; valid until freed). */
  bytes(off: number, len: number): Uint8Array {
    return this.u8.subarray(off, off + len);
  }

  view(off: number, len: number): ByteView {
    return new ByteView(this.bytes(off, len));
  }

  get inUseBytes(): number {
    return this.heap.stats().inUseBytes;
  }
}

/** A listed command, as the device stored it. */
export interface HgcmCommand {
  readonly slot: number;
  /** Unique id (for traces and logs). */
  readonly id: number;
  /** Guest-physical address of the request. */
  readonly phys: number;
  /** The request type that made the command (connect, disconnect, call 32 / 64). */
  readonly type: number;
  readonly clientSlot: number;
  readonly clientId: number;
  readonly service: number;
  readonly fn: number;
  /** The vCPU whose port write submitted it (the interrupt's preferred target when it completes). */
  readonly vcpu: number;
  /** Part of a traced call. */
  readonly traced: boolean;
  /** The host's copy of the request (valid until the command is freed). */
  readonly snapshot: Uint8Array;
  /** A call's parameters as the device parsed them; undefined for connect and disconnect. */
  readonly call: ParsedCall | undefined;
}

// A stored call: HEAD words (parameter count, is64, data bytes, run count), PARM_WORDS per parameter at
// the byte offsets of StoredParm, then RUN_WORDS per physical run (phys low, phys high or NIL, length).
const HEAD = 4;
const PARM_WORDS = 11;
const RUN_WORDS = 3;
/** Byte offsets of a stored parameter's words (storeCall writes them, loadCall reads them). */
const StoredParm = {
  TYPE: 0,
  OFF: 4,
  SVC_TYPE: 8,
  VALUE32: 12,
  VALUE64_LO: 16,
  VALUE64_HI: 20,
  SIZE: 24,
  DIR: 28,
  /** sizeFieldOff + 1, 0 for none. */
  SIZE_FIELD: 32,
  FIRST_RUN: 36,
  RUNS: 40,
} as const;
// Pinned: the last word ends the PARM_WORDS.
if (StoredParm.RUNS + 4 !== 4 * PARM_WORDS) throw new Error('StoredParm does not fill PARM_WORDS');
const NIL = 0xffffffff;
const TWO_32 = 2 ** 32;

/**
 * Store a call's parsed parameters for command `slot` (the device, before it lists the command). False
 * when the arena has no room (the caller refuses the call with VERR_NO_MEMORY, as for the snapshot).
 */
export function storeCall(cmds: CommandTable, snaps: SnapshotArena, slot: number, call: ParsedCall): boolean {
  const runs = call.parms.reduce((n, p) => n + p.runs.length, 0);
  const len = 4 * (HEAD + PARM_WORDS * call.parms.length + RUN_WORDS * runs);
  const off = snaps.alloc(len);
  if (off === undefined) return false;
  const v = snaps.view(off, len);
  let run = 0;
  v.setU32(0, call.parms.length);
  v.setU32(4, call.is64 ? 1 : 0);
  v.setU32(8, call.dataBytes);
  v.setU32(12, runs);
  const runsAt = 4 * (HEAD + PARM_WORDS * call.parms.length);
  for (let i = 0; i < call.parms.length; i++) {
    const p = call.parms[i]!;
    // Written one by one (no array per parameter: this runs on every call).
    const at = 4 * (HEAD + PARM_WORDS * i);
    v.setU32(at + StoredParm.TYPE, p.type);
    v.setU32(at + StoredParm.OFF, p.off);
    v.setU32(at + StoredParm.SVC_TYPE, p.svcType);
    v.setU32(at + StoredParm.VALUE32, p.value32);
    v.setU32(at + StoredParm.VALUE64_LO, Number(p.value64 & 0xffffffffn));
    v.setU32(at + StoredParm.VALUE64_HI, Number(p.value64 >> 32n));
    v.setU32(at + StoredParm.SIZE, p.size);
    v.setU32(at + StoredParm.DIR, p.dir);
    v.setU32(at + StoredParm.SIZE_FIELD, p.sizeFieldOff === undefined ? 0 : p.sizeFieldOff + 1);
    v.setU32(at + StoredParm.FIRST_RUN, run);
    v.setU32(at + StoredParm.RUNS, p.runs.length);
    for (const r of p.runs) {
      const at = runsAt + 4 * RUN_WORDS * run++;
      v.setU32(at, r.phys < 0 ? NIL : r.phys % TWO_32);
      v.setU32(at + 4, r.phys < 0 ? NIL : Math.floor(r.phys / TWO_32));
      v.setU32(at + 8, r.len);
    }
  }
  cmds.set(slot, CmdField.CALL_OFF, off);
  cmds.set(slot, CmdField.CALL_LEN, len);
  return true;
}

/** Fields a handler sets on a new command. */
export interface CommandFields {
  readonly clientSlot: number;
  readonly clientId: number;
  readonly service: number;
  readonly fn: number;
}

/**
 * Reserve a command slot for the request, fill it (a call's parsed parameters too) and put it on the
 * pending list (newest first). The command owns the request's snapshot from here on. Undefined when the
 * table or the snapshot arena is full or the call's host buffers would exceed the machine's budget
 * (VERR_NO_MEMORY: upstream's heap budget).
 */
export function* addCommand(
  dev: DeviceEnv,
  req: RequestCtx,
  f: CommandFields,
  call?: ParsedCall,
): Proc<number | undefined> {
  const slot = dev.cmds.reserve();
  if (slot === undefined) return undefined;
  const c = dev.cmds;
  if (call !== undefined && !c.chargeHost(slot, call.dataBytes)) {
    dev.stats.add('host.budgetRefused');
    c.release(slot);
    return undefined;
  }
  if (call !== undefined && !storeCall(c, dev.snaps, slot, call)) {
    c.unchargeHost(slot);
    c.release(slot);
    return undefined;
  }
  c.set(slot, CmdField.PHYS, req.phys);
  c.set(slot, CmdField.TYPE, req.type);
  c.set(slot, CmdField.SNAP_OFF, req.snapOff);
  c.set(slot, CmdField.SNAP_LEN, req.size);
  c.set(slot, CmdField.VCPU, req.vcpu);
  c.set(slot, CmdField.CLIENT_SLOT, f.clientSlot);
  c.set(slot, CmdField.CLIENT_ID, f.clientId);
  c.set(slot, CmdField.SERVICE, f.service);
  c.set(slot, CmdField.FUNCTION, f.fn);
  c.set(slot, CmdField.TRACED, dev.tracer.active ? 1 : 0);
  dev.auditor?.onEnlist(slot, req.phys);
  dev.bus.enableHgcmEvents();
  yield point('device.enlist', req.phys, c.get(slot, CmdField.ID));
  yield* c.enlist(slot);
  return slot;
}

/** The command in `slot`, typed (the host, when it takes the command over). */
export function readCommand(cmds: CommandTable, snaps: SnapshotArena, slot: number): HgcmCommand {
  const head = readCommandHead(cmds, snaps, slot);
  const callOff = cmds.get(slot, CmdField.CALL_OFF);
  return {
    ...head,
    call:
      callOff === 0
        ? undefined
        : loadCall(snaps.view(callOff, cmds.get(slot, CmdField.CALL_LEN)), head.clientId, head.fn),
  };
}

/**
 * The command in `slot` without its parameters (`call` undefined): enough to complete it with a status
 * alone. For a thread that does not own the command (it may be completed and freed meanwhile, its
 * parameter record with it): nothing here reads the arena.
 */
export function readCommandHead(cmds: CommandTable, snaps: SnapshotArena, slot: number): HgcmCommand {
  const clientId = cmds.get(slot, CmdField.CLIENT_ID) >>> 0;
  const fn = cmds.get(slot, CmdField.FUNCTION) >>> 0;
  return {
    slot,
    id: cmds.get(slot, CmdField.ID),
    phys: cmds.get(slot, CmdField.PHYS) >>> 0,
    type: cmds.get(slot, CmdField.TYPE),
    clientSlot: cmds.get(slot, CmdField.CLIENT_SLOT),
    clientId,
    service: cmds.get(slot, CmdField.SERVICE),
    fn,
    vcpu: cmds.get(slot, CmdField.VCPU),
    traced: cmds.get(slot, CmdField.TRACED) === 1,
    snapshot: snaps.bytes(cmds.get(slot, CmdField.SNAP_OFF), cmds.get(slot, CmdField.SNAP_LEN)),
    call: undefined,
  };
}

/**
 * vmmdevR3HgcmCmdFree, for a command off the list: give back its snapshot and call record, a call's
 * pending-call count, and the slot.
 */
export function freeCommand(
  t: { readonly cmds: CommandTable; readonly snaps: SnapshotArena; readonly clients: ClientTable },
  cmd: HgcmCommand,
): void {
  if (cmd.type === RequestType.HGCMCall32 || cmd.type === RequestType.HGCMCall64)
    t.clients.endCall(cmd.clientSlot, cmd.clientId);
  t.snaps.free(t.cmds.get(cmd.slot, CmdField.SNAP_OFF));
  const callOff = t.cmds.get(cmd.slot, CmdField.CALL_OFF);
  if (callOff !== 0) t.snaps.free(callOff);
  t.cmds.unchargeHost(cmd.slot);
  t.cmds.release(cmd.slot);
}

function loadCall(v: ByteView, clientId: number, fn: number): ParsedCall {
  const cParms = v.u32(0);
  const runsAt = 4 * (HEAD + PARM_WORDS * cParms);
  const parms: ParsedParm[] = [];
  for (let i = 0; i < cParms; i++) {
    // The parameter's words (no closure per parameter: this runs on every call the host picks up).
    const at = 4 * (HEAD + PARM_WORDS * i);
    const runs: PhysRun[] = [];
    for (let r = v.u32(at + StoredParm.FIRST_RUN), end = r + v.u32(at + StoredParm.RUNS); r < end; r++) {
      const ra = runsAt + 4 * RUN_WORDS * r;
      const lo = v.u32(ra);
      const hi = v.u32(ra + 4);
      runs.push({ phys: lo === NIL && hi === NIL ? -1 : hi * TWO_32 + lo, len: v.u32(ra + 8) });
    }
    const sizeField = v.u32(at + StoredParm.SIZE_FIELD);
    parms.push({
      // SAFETY: the device wrote these words from a ParsedParm of these types.
      type: v.u32(at + StoredParm.TYPE) as ParmTypeValue,
      off: v.u32(at + StoredParm.OFF),
      svcType: v.u32(at + StoredParm.SVC_TYPE) as SvcParmTypeValue,
      value32: v.u32(at + StoredParm.VALUE32),
      value64: (BigInt(v.u32(at + StoredParm.VALUE64_HI)) << 32n) | BigInt(v.u32(at + StoredParm.VALUE64_LO)),
      size: v.u32(at + StoredParm.SIZE),
      dir: v.u32(at + StoredParm.DIR),
      sizeFieldOff: sizeField === 0 ? undefined : sizeField - 1,
      runs,
    });
  }
  return { clientId, fn, is64: v.u32(4) === 1, parms, dataBytes: v.u32(8) };
}
