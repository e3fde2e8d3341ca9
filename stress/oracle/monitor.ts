// The sim executor's online oracles: a model of every request and command built from the step machines'
// points (each names its request's address and generation, or its command id), checked against god's-eye
// reads of shared memory after every step. A broken invariant stops the run at that step (ViolationError).
// It also tags the scenario classes a run reaches (coverage). Final checks are in final.ts.
import { HgcmReqFlag, RequestType, VMMDevRequestHeader } from '../../src/abi/index.js';
import {
  gpa,
  hexAddr as hex,
  POINTS,
  type PointName,
  type VcpuBus,
  type WaitOutcome,
} from '../../src/runtime/index.js';
import { BlockState } from '../../src/runtime/index.js';
import type { Sim, SimObserver, StepEvent } from '../../src/sim/index.js';
import { CmdField } from '../../src/vmmdev/index.js';
import type { CallRecord, Ledger, Workload } from '../workload.js';
import { CallTimeline } from './facts.js';
import { FLAGS, cancelMarked, checkCopyBack, checkListed, hostWrote, isCall, signalTags } from './rules.js';
import { SessionWatch } from './session.js';
import { ViolationError, type InvariantId, type Phase, type Violation } from './invariants.js';
import { HGCM_TYPES, type ActorState, type Cmd, type Req, type Stamp } from './model.js';
import { World } from './world.js';

/** The counters the monitor reads at every step, by word (World.counterAt). */
const CANCEL_OK = World.counterWord('guest.cancel.success');
const AUDIT_BAD = World.counterWord('audit.writeAfterFree');

/** A host worker or a completion it spawned ("host<w>", "complete#<n>"); the first letter rules out most. */
function hostSide(actor: string): boolean {
  const c = actor.charCodeAt(0);
  return (c === 0x68 && actor.startsWith('host')) || (c === 0x63 && actor.startsWith('complete'));
}

/** Online oracles and coverage tags for one sim run. */
export class Monitor implements SimObserver {
  /** It keeps no event past afterStep: the sim may hand it one event, filled in again at every step. */
  readonly transient = true;
  readonly tags = new Set<string>();
  readonly reqs: Req[] = [];
  readonly cmds = new Map<number, Cmd>();
  /** Per-call wait facts and host results (the outcome oracle, I15). */
  readonly calls = new CallTimeline();
  /** Disconnects and the pending list (I16 D1, I17 L2). */
  readonly session: SessionWatch;
  /** Every step of every phase, for ledger stamps (a real-time order). */
  tick = 0;
  /** I9's last check: what it depended on, and a scratch list (rules.ts checkListed). */
  listedKey = -1;
  readonly listedPhys: number[] = [];
  phase: Phase = 'prelude';
  readonly w: World;
  readonly ledger: Ledger;
  readonly load: Workload;
  readonly sim: Sim;
  /** What the monitor knows of each actor (the oracles' own state). */
  readonly actors = new Map<string, ActorState>();
  /**
   * The same, as two lists in the map's order, for the loops over every actor (a loop over the map's
   * entries makes an [id, state] array per actor, and some of these loops run at many steps).
   */
  readonly actorIds: string[] = [];
  readonly actorStates: ActorState[] = [];
  private readonly live = new Map<number, Req>();
  /** The requests of `live` being tracked (what watchFlags reads every step). */
  private readonly tracked = new Set<Req>();
  /** Each vCPU's bus, for its pending signal. */
  readonly ports: readonly VcpuBus[];
  private cancelOk: number;
  private auditBad: number;
  private step = 0;

  /** Whether the oracles added for issue 17 run (I15-I17; off only to show what they add). */
  readonly extended: boolean;

  constructor(world: World, ledger: Ledger, workload: Workload, sim: Sim, extended = true) {
    this.extended = extended;
    this.w = world;
    this.ledger = ledger;
    this.load = workload;
    this.sim = sim;
    this.ports = world.ports;
    this.cancelOk = world.counter('guest.cancel.success');
    this.auditBad = world.counter('audit.writeAfterFree');
    this.session = new SessionWatch(world);
  }

  /** The guest thread an actor plays (actors "g<t>"), or undefined. */
  thread(actor: string): number | undefined {
    return actor.startsWith('g') ? Number(actor.slice(1)) : undefined;
  }

  /** Now, as a stamp. */
  stamp(): Stamp {
    return { phase: this.phase, step: this.step, at: this.sim.clock.now() };
  }

  /** Record a violation and stop the run. */
  fail(inv: InvariantId, actor: string, detail: string): never {
    const v: Violation = { inv, phase: this.phase, step: this.step, at: this.sim.clock.now(), actor, detail };
    throw new ViolationError(v);
  }

  tag(name: string): void {
    this.tags.add(name);
  }

  /** The last actor looked up, and its state (a step's passed and arrived name the same actor). */
  private lastId = '';
  private lastState: ActorState | undefined;

  private actor(id: string): ActorState {
    if (id === this.lastId && this.lastState !== undefined) return this.lastState;
    let a = this.actors.get(id);
    if (a === undefined) {
      a = { req: undefined, phase: 'run' };
      this.actors.set(id, a);
      this.actorIds.push(id);
      this.actorStates.push(a);
    }
    this.lastId = id;
    this.lastState = a;
    return a;
  }

  afterStep(e: StepEvent): void {
    this.tick++;
    this.step = e.step;
    const p = e.passed?.k === 'point' ? e.passed : undefined;
    if (p !== undefined) this.passed(e.actor, POINTS[p.id]!, p.addr, p.gen);
    else if (e.outcome !== undefined) this.waited(e.actor, e.outcome, e.at);
    const n = e.next?.k === 'point' ? e.next : undefined;
    if (n !== undefined) this.arrived(e.actor, POINTS[n.id]!, n.addr, n.gen);
    const ok = this.w.counterAt(CANCEL_OK);
    if (ok !== this.cancelOk) {
      this.cancelOk = ok;
      const r = this.actors.get(e.actor)?.req;
      if (r !== undefined) {
        r.cancelOk = true;
        // A cancel may only succeed for a command the host has not completed: it promises "no write".
        if (r.doneAt !== undefined)
          this.fail(
            'I2',
            e.actor,
            `the cancel of ${hex(r.addr)} succeeded although the host had already completed it`,
          );
      }
    }
    const bad = this.w.counterAt(AUDIT_BAD);
    if (bad !== this.auditBad) {
      this.auditBad = bad;
      this.fail('I1', e.actor, 'the auditor saw a host write into freed guest memory');
    }
    this.watchFlags(e.actor);
    if (this.extended) {
      const gone = this.session.afterStep(e.actor);
      if (gone !== undefined) this.fail('I17', e.actor, gone);
    }
    signalTags(this);
    if (!hostSide(e.actor)) checkListed(this, e.actor);
  }

  /** Nothing can run and time must pass: nobody may sleep through a wake-up meant for it. */
  beforeAdvance(to: number): void {
    this.checkSleepers(to, 'before virtual time passes');
  }

  /** Lost wake-ups (I7) and ignored signals (I6) among the sleepers, as time moves to `to`. */
  checkSleepers(to: number, when: string): void {
    const lost = this.sim.lostWakeups(to);
    if (lost.length > 0)
      this.fail('I7', lost[0]!, `asleep with its wait condition true ${when} (lost wake-up)`);
    for (let i = 0; i < this.actorIds.length; i++) {
      const id = this.actorIds[i]!;
      const a = this.actorStates[i]!;
      if (a.phase !== 'wait' || a.req === undefined || !isCall(a.req.type)) continue;
      if ((this.w.mem.load32(gpa(a.req.addr), FLAGS) & HgcmReqFlag.DONE) !== 0)
        this.fail('I7', id, `DONE is set but the waiter still sleeps ${when} (lost wake-up)`);
      const t = this.thread(id);
      const call = t === undefined ? undefined : this.ledger.current.get(t);
      const vcpu = t === undefined ? undefined : this.load.threads[t]?.vcpu;
      if (call?.plan.interruptible === true && vcpu !== undefined && this.ports[vcpu]!.signalPending())
        this.fail('I6', id, `a signal is pending but the interruptible wait goes on ${when}`);
    }
  }

  private arrived(actor: string, point: PointName, addr: number, gen: number): void {
    const a = this.actor(actor);
    switch (point) {
      case 'guest.fill': {
        const type = this.w.mem.readU32(gpa(addr), VMMDevRequestHeader.off.requestType);
        const r: Req = {
          addr,
          gen,
          type,
          actor,
          flags: 0,
          tracking: false,
          doneAt: undefined,
          cancelAt: undefined,
          cancelOk: false,
          graceStart: undefined,
          leakAt: undefined,
          freed: false,
        };
        this.reqs.push(r);
        const old = this.live.get(addr);
        if (old !== undefined) this.tracked.delete(old);
        this.live.set(addr, r);
        if (HGCM_TYPES.has(type)) {
          a.req = r;
          a.phase = 'run';
        }
        // (No command listed, none at this address: the scan of every slot is skipped.)
        const listed = isCall(type) && this.w.cmds.listed > 0;
        if (listed && this.w.cmds.findLocked(addr) !== undefined) this.tag('abaReuse');
        if (isCall(type) && !this.tags.has('heapContention')) {
          let others = 0;
          for (const o of this.tracked) if (o.actor !== actor) others++;
          if (others >= 2) this.tag('heapContention');
        }
        break;
      }
      case 'device.enlist': {
        const slot = this.w.slotOf(gen)!;
        const c = this.w.cmds;
        const cmd: Cmd = {
          id: gen,
          slot,
          phys: addr,
          gen: c.get(slot, CmdField.GEN) >>> 0,
          type: c.get(slot, CmdField.TYPE),
          clientId: c.get(slot, CmdField.CLIENT_ID) >>> 0,
          picked: false,
          markedAt: undefined,
          completion: undefined,
          buffers: isCall(c.get(slot, CmdField.TYPE)) ? this.w.bufferBlocks(slot) : [],
          headers: 0,
          dones: 0,
          pickedGone: false,
        };
        this.cmds.set(gen, cmd);
        this.session.created(cmd, this.stamp());
        if (cmd.type === RequestType.HGCMDisconnect) {
          for (const s of c.listedSlots())
            if (isCall(c.get(s, CmdField.TYPE)) && c.get(s, CmdField.CLIENT_ID) >>> 0 === cmd.clientId)
              this.tag('disconnectPending');
        }
        break;
      }
      case 'guest.checkDone': {
        const call = this.callOf(actor);
        if (call !== undefined) this.calls.checking(call, this.sim.clock.now());
        break;
      }
      case 'guest.graceCheck':
        if (a.req !== undefined && a.req.graceStart === undefined) a.req.graceStart = this.stamp();
        a.phase = 'grace';
        break;
      case 'guest.leak':
        if (a.req !== undefined) a.req.leakAt = this.stamp();
        break;
      case 'host.complete.notify':
        if (this.w.bus.irqLine) this.tag('coalescedIrq');
        break;
      default:
    }
  }

  private passed(actor: string, point: PointName, addr: number, gen: number): void {
    const a = this.actor(actor);
    const req = a.req;
    if (point.startsWith('host.')) {
      const cmd =
        point === 'host.pick' ? this.cmds.get(this.w.cmds.get(addr, CmdField.ID)) : this.cmds.get(gen);
      const bad = this.session.hostPassed(actor, point, cmd);
      if (bad !== undefined && this.extended) this.fail('I16', actor, bad);
    }
    switch (point) {
      case 'guest.portWrite':
        if (req !== undefined && req.addr === addr && !req.tracking) {
          req.tracking = true;
          if (this.live.get(req.addr) === req) this.tracked.add(req);
          req.flags = this.w.mem.load32(gpa(addr), FLAGS) >>> 0;
        }
        break;
      case 'guest.checkDone':
        a.phase = 'checked';
        break;
      case 'guest.sleep':
        a.phase = 'wait';
        break;
      case 'guest.wake':
        a.phase = 'run';
        break;
      case 'guest.cancel2':
        this.cancelling(actor);
        a.phase = 'cancel';
        if (req !== undefined) req.cancelAt = this.stamp();
        if (req !== undefined && req.doneAt !== undefined) this.tag('doneBeforeCancel');
        if (this.actorStates.reduce((n, o) => (o.phase === 'cancel' ? n + 1 : n), 0) >= 2)
          this.tag('concurrentCancels');
        break;
      case 'guest.leak':
        if (req !== undefined && req.addr === addr) {
          req.tracking = false;
          this.tracked.delete(req);
          if (this.w.phys.info(gpa(addr))?.state !== BlockState.QUARANTINED)
            this.fail(
              'I4',
              actor,
              `request ${hex(addr)} leaked but not quarantined (it can be handed out again)`,
            );
        }
        a.phase = 'run';
        break;
      case 'guest.copyBack':
        checkCopyBack(this, actor, addr, gen);
        break;
      case 'guest.free': {
        const r = this.live.get(addr);
        if (r !== undefined && r.gen === gen) {
          if (r.leakAt !== undefined)
            this.fail('I4', actor, `request ${hex(addr)} freed after its cancel failed and DONE never came`);
          r.freed = true;
          r.tracking = false;
          this.tracked.delete(r);
        }
        a.phase = 'run';
        break;
      }
      case 'device.cancel.mark':
        cancelMarked(this, actor, addr, gen);
        break;
      case 'host.pick': {
        const id = this.w.cmds.get(addr, CmdField.ID);
        const cmd = this.cmds.get(id);
        if (cmd !== undefined) cmd.picked = true;
        break;
      }
      case 'host.complete.remove': {
        const cmd = this.cmds.get(gen);
        if (cmd !== undefined) cmd.completion = actor;
        break;
      }
      case 'host.complete.checkCancelled':
        if (this.cmds.get(gen)?.markedAt !== undefined) this.tag('completedCancelled');
        break;
      case 'host.complete.readReq': {
        // Past the cancelled check: a cancelled command reaching this point is about to be written back.
        const cmd = this.cmds.get(gen);
        if (cmd?.markedAt !== undefined)
          this.fail(
            'I2',
            actor,
            `command ${gen} was cancelled at ${cmd.markedAt.phase} step ${cmd.markedAt.step}, yet completion goes on to write it back`,
          );
        break;
      }
      case 'host.complete.writeBuffers':
      case 'host.complete.writeHeader':
      case 'host.complete.setDone': {
        hostWrote(this, actor, point, gen);
        const cmd = this.cmds.get(gen);
        if (point === 'host.complete.writeHeader' && cmd !== undefined)
          this.calls.wroteHeader(this.w, cmd.phys, cmd.gen);
        break;
      }
      case 'irq.wake':
        for (let i = 0; i < this.actorIds.length; i++) {
          const id = this.actorIds[i]!;
          if (id !== actor && this.actorStates[i]!.phase === 'wait' && this.thread(id) !== undefined)
            this.tag('isrWakesOther');
        }
        break;
      default:
    }
  }

  /** The call guest actor `actor` is in, if any. */
  private callOf(actor: string): CallRecord | undefined {
    const t = this.thread(actor);
    return t === undefined ? undefined : this.ledger.current.get(t);
  }

  /** The actor's call sends its cancel. */
  private cancelling(actor: string): void {
    const call = this.callOf(actor);
    if (call !== undefined) this.calls.cancelling(call, this.sim.clock.now());
  }

  /** A wait ended: the call's wait for DONE (between its sleep and its wake) is what the outcome oracle reads. */
  private waited(actor: string, how: WaitOutcome, at: number): void {
    if (this.actors.get(actor)?.phase !== 'wait') return;
    const call = this.callOf(actor);
    const vcpu = call === undefined ? undefined : this.load.threads[call.thread]?.vcpu;
    if (call === undefined || vcpu === undefined) return;
    this.calls.waited(call, how, at, this.ports[vcpu]!.signalPending());
  }

  /** The newest request record at (addr, gen). */
  reqAt(addr: number, gen: number): Req | undefined {
    for (let i = this.reqs.length - 1; i >= 0; i--) {
      const r = this.reqs[i]!;
      if (r.addr === addr && r.gen === gen) return r;
    }
    return undefined;
  }

  /** Flags of every tracked request only ever gain bits (I10); note when DONE appears. */
  private watchFlags(actor: string): void {
    for (const r of this.tracked) {
      const f = this.w.mem.load32(gpa(r.addr), FLAGS) >>> 0;
      if (f === r.flags) continue;
      // Some frees have no point of their own (connect and disconnect requests): a changed word may just
      // be a new owner's. Only a request still holding its allocation is judged.
      if (!this.w.holds(r.addr, r.gen)) {
        r.tracking = false;
        this.tracked.delete(r);
        r.freed = true;
        continue;
      }
      if ((f & r.flags) !== r.flags)
        this.fail('I10', actor, `flags of ${hex(r.addr)} went ${hex(r.flags)} -> ${hex(f)} (a bit cleared)`);
      if ((f & HgcmReqFlag.DONE) !== 0 && r.doneAt === undefined) {
        r.doneAt = this.stamp();
        if (r.cancelOk)
          this.fail('I2', actor, `DONE set on ${hex(r.addr)} after the guest was told its cancel succeeded`);
        const a = this.actors.get(r.actor);
        if (a?.phase === 'checked') this.tag('doneBeforeSleep');
      }
      r.flags = f;
    }
  }
}
