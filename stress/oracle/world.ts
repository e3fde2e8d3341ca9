// The oracles' god's-eye view of a machine: guest RAM and heaps, the command table, the device bus,
// clients and counters, attached from the machine's shared memory (any executor, any thread).
import { ClientState, ClientTable } from '../../src/hgcm/index.js';
import { heapAuditor, type MachineShared, type ResolvedConfig } from '../../src/machine/index.js';
import {
  BlockState,
  COUNTERS,
  type CounterName,
  GuestMemory,
  guestHeapBacking,
  SharedHeap,
  StatsBlock,
  type VcpuBus,
} from '../../src/runtime/index.js';
import { GuestHeap, guestMap } from '../../src/vcpu/index.js';
import {
  CmdField,
  CmdState,
  CommandTable,
  DeviceBus,
  type HostWriteAuditor,
  type ParsedParm,
  type PhysRun,
  readCommand,
  SnapshotArena,
} from '../../src/vmmdev/index.js';
import { ParmDirection, ParmType } from '../../src/abi/index.js';

/** Read-only handles on one machine's shared state. */
export class World {
  readonly config: ResolvedConfig;
  readonly shared: MachineShared;
  readonly mem: GuestMemory;
  readonly phys: GuestHeap;
  readonly data: GuestHeap;
  readonly cmds: CommandTable;
  readonly bus: DeviceBus;
  /** Each vCPU's bus (its pending signal): views, built once per machine, not per run's monitor. */
  readonly ports: readonly VcpuBus[];
  readonly clients: ClientTable;
  readonly stats: StatsBlock;
  /** The physical heap itself (for its change counter: the oracles recheck what depends on it). */
  readonly physHeap: SharedHeap;
  /** The counters' words, for the reads the monitor makes at every step (counterAt). */
  private readonly counterWords: Uint32Array;
  private readonly auditor: HostWriteAuditor;
  private readonly env: { readonly cmds: CommandTable; readonly snaps: SnapshotArena };

  constructor(shared: MachineShared) {
    this.shared = shared;
    this.config = shared.config;
    this.mem = GuestMemory.attach(shared.ram);
    const map = guestMap(shared.config.ramBytes, shared.config.heapBytes);
    this.phys = GuestHeap.attach('phys', this.mem, map.heapBase);
    this.physHeap = SharedHeap.attach(guestHeapBacking(this.mem), map.heapBase);
    this.data = GuestHeap.attach('data', this.mem, map.memBase);
    this.cmds = CommandTable.attach(shared.cmds);
    this.bus = DeviceBus.attach(shared.bus);
    this.ports = Array.from({ length: this.bus.vcpus }, (_, v) => this.bus.vcpuBus(v));
    this.clients = ClientTable.attach(shared.clients);
    this.stats = new StatsBlock(shared.stats);
    this.counterWords = new Uint32Array(shared.stats);
    this.auditor = heapAuditor(this.mem, shared.config, this.cmds);
    this.env = { cmds: this.cmds, snaps: SnapshotArena.attach(shared.snaps) };
  }

  counter(name: CounterName): number {
    return this.stats.get(name);
  }

  /** A counter's word, for counterAt (the monitor reads a few counters at every step of a run). */
  static counterWord(name: CounterName): number {
    return COUNTERS.indexOf(name);
  }

  /**
   * The counter at word `word` (World.counterWord): counter(name) without the lookup by name. For the sim's
   * online oracles only, which read between two steps on the thread that runs every actor: a plain read
   * sees what an atomic one would, without a runtime call at every step.
   */
  counterAt(word: number): number {
    return this.counterWords[word]!;
  }

  /** The heap block holding guest-physical `addr`, in either heap. */
  block(addr: number): { payload: number; state: number; gen: number; payloadBytes: number } | undefined {
    return this.phys.containing(addr) ?? this.data.containing(addr);
  }

  /** Is the allocation (addr, gen) still live or quarantined (not freed, not reused)? */
  holds(addr: number, gen: number): boolean {
    const b = this.phys.containing(addr);
    return b !== undefined && b.payload === addr && b.gen >>> 0 === gen >>> 0 && b.state !== BlockState.FREE;
  }

  /**
   * Listed commands of clients that are still connected: what the host still owes. (Calls of a client
   * that is gone may stay listed forever: the host drops them and only a cancel finds them.)
   */
  pendingForLiveClients(): number[] {
    return this.cmds.listedSlots().filter((s) => {
      const client = this.clients.at(this.cmds.get(s, CmdField.CLIENT_SLOT));
      return (
        client.id === this.cmds.get(s, CmdField.CLIENT_ID) >>> 0 && client.state === ClientState.CONNECTED
      );
    });
  }

  /** Command slots not free (listed, reserved, or removed and not yet released). */
  takenSlots(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.cmds.capacity; s++)
      if (this.cmds.get(s, CmdField.STATE) !== CmdState.FREE) out.push(s);
    return out;
  }

  /** Bytes of request copies the host holds (the snapshot arena in use). */
  snapshotBytes(): number {
    return this.env.snaps.inUseBytes;
  }

  /** The command slot holding command `id`, or undefined once it is released. */
  slotOf(id: number): number | undefined {
    for (let i = 0; i < this.cmds.capacity; i++) {
      if (this.cmds.get(i, CmdField.STATE) !== 0 && this.cmds.get(i, CmdField.ID) === id) return i;
    }
    return undefined;
  }

  /** The heap blocks (payload, generation) a call command's FROM_HOST buffers lie in, as they are now. */
  bufferBlocks(slot: number): { payload: number; gen: number }[] {
    const out: { payload: number; gen: number }[] = [];
    for (const p of this.parmsOf(slot)) {
      if ((p.dir & ParmDirection.FROM_HOST) === 0 || p.type === ParmType.Embedded) continue;
      for (const r of p.runs) {
        if (r.phys < 0 || r.len === 0) continue;
        // Every block the run touches, not just the first.
        for (let at = r.phys; at < r.phys + r.len;) {
          const b = this.block(at);
          if (b === undefined) break;
          out.push({ payload: b.payload, gen: b.gen >>> 0 });
          at = b.payload + b.payloadBytes;
        }
      }
    }
    return out;
  }

  /** A call command's parameters as the device stored them (none for connect and disconnect). */
  private parmsOf(slot: number): readonly ParsedParm[] {
    return readCommand(this.env.cmds, this.env.snaps, slot).call?.parms ?? [];
  }

  /** Is the block at payload `payload` still the generation `gen`, and not free? */
  blockIs(payload: number, gen: number): boolean {
    const b = this.block(payload);
    return b !== undefined && b.payload === payload && b.gen >>> 0 === gen && b.state !== BlockState.FREE;
  }

  /**
   * Would the host's writes for command `slot` (its request header and FROM_HOST buffers) land in live or
   * quarantined memory of the generation the guest submitted? (The machine's own auditor's rule, asked at
   * the very step the host writes rather than once before.)
   */
  hostWriteOk(slot: number, withBuffers: boolean): boolean {
    const phys = this.cmds.get(slot, CmdField.PHYS) >>> 0;
    const runs: PhysRun[] = [{ phys, len: 32 }];
    if (withBuffers && this.cmds.get(slot, CmdField.SNAP_LEN) > 0) {
      for (const p of this.parmsOf(slot))
        if ((p.dir & ParmDirection.FROM_HOST) !== 0 && p.type !== ParmType.Embedded) runs.push(...p.runs);
    }
    return this.auditor.checkWrite(slot, runs);
  }
}
