// The device bus's event logic (vmmdevNotifyGuestWorker, vmmdevMaybeSetIRQ, VMMDevCtlSetGuestFilterMask,
// vmmdevFastRequestIrqAck / AcknowledgeEvents, the first-command HGCM hook) and the vCPU port wiring.
import { beforeEach, describe, expect, test } from 'vitest';
import { VmmDevEvent } from '../../src/abi/index.js';
import { runSync, waitFor, type Proc } from '../../src/runtime/proc.js';
import { DeviceBus } from '../../src/vmmdev/bus.js';
import { Bus, MAX_VCPUS, VcpuSlot, vcpuWord } from '../../src/vmmdev/bus-layout.js';

const { HGCM, DISPLAY_CHANGE_REQUEST: DISPLAY, RESTORED, MOUSE_CAPABILITIES_CHANGED: MOUSE } = VmmDevEvent;

let bus: DeviceBus;
/** Wake-word values of every vCPU (an interrupt bumps them all). */
const wakes = (): number[] => Array.from({ length: bus.vcpus }, (_, i) => bus.wake(i).load());

beforeEach(() => {
  // Interrupts to every vCPU: the event logic below reads the wake words of all three.
  bus = DeviceBus.create({ vcpus: 3, features: 0x8000000f, cancel2: true, irqDelivery: 'all' });
});

describe('before the additions reported', () => {
  test('events latch but raise no interrupt', () => {
    bus.setFilterMask(HGCM, 0);
    expect(bus.notifyGuest(HGCM)).toBe(false);
    expect(bus.pendingEvents).toBe(HGCM);
    expect(bus.irqLine).toBe(false);
    expect(wakes()).toEqual([0, 0, 0]);
  });

  test('the fast IRQ ack reads 0xFFFFFFFF and changes nothing', () => {
    bus.setFilterMask(HGCM, 0);
    bus.notifyGuest(HGCM);
    expect(bus.acknowledgeEvents()).toBe(0xffffffff);
    expect(bus.pendingEvents).toBe(HGCM);
    expect(bus.vcpuBus(0).inFastAck()).toBe(0xffffffff);
  });

  test('an event latched before the additions stays pending: the next notify is no edge', () => {
    bus.setFilterMask(HGCM, 0);
    bus.notifyGuest(HGCM);
    bus.setAdditionsOk(true);
    // Still pending, so the next notify is not an edge: nothing raised (upstream's fHadEvents rule).
    expect(bus.notifyGuest(HGCM)).toBe(false);
    expect(bus.acknowledgeEvents()).toBe(HGCM);
  });
});

describe('after the additions reported', () => {
  beforeEach(() => {
    bus.setAdditionsOk(true);
    bus.setFilterMask(HGCM, 0);
  });

  test('an unmasked event raises the IRQ and wakes every vCPU', () => {
    expect(bus.notifyGuest(HGCM)).toBe(true);
    expect(bus.irqLine).toBe(true);
    expect(bus.vcpuBus(1).irqPending()).toBe(true);
    expect(wakes()).toEqual([1, 1, 1]);
  });

  test('further events while one is pending only latch (edge-triggered, coalesced)', () => {
    bus.setFilterMask(RESTORED, 0);
    bus.notifyGuest(HGCM);
    expect(bus.notifyGuest(HGCM)).toBe(false);
    expect(bus.notifyGuest(RESTORED)).toBe(false);
    expect(wakes()).toEqual([1, 1, 1]);
    expect(bus.acknowledgeEvents()).toBe(HGCM | RESTORED);
  });

  test('ack returns and clears only the unmasked events, and lowers the line', () => {
    bus.notifyGuest(HGCM | DISPLAY);
    expect(bus.acknowledgeEvents()).toBe(HGCM);
    expect(bus.pendingEvents).toBe(DISPLAY);
    expect(bus.irqLine).toBe(false);
    expect(bus.acknowledgeEvents()).toBe(0);
  });

  test('after an ack the next event is an edge again', () => {
    bus.notifyGuest(HGCM);
    bus.acknowledgeEvents();
    expect(bus.notifyGuest(HGCM)).toBe(true);
    expect(wakes()).toEqual([2, 2, 2]);
  });

  test('a masked event raises nothing; unmasking it raises the IRQ at once', () => {
    expect(bus.notifyGuest(DISPLAY)).toBe(false);
    expect(bus.irqLine).toBe(false);
    bus.setFilterMask(DISPLAY, 0);
    expect(bus.filterMask).toBe(HGCM | DISPLAY);
    expect(bus.irqLine).toBe(true);
    expect(wakes()).toEqual([1, 1, 1]);
  });

  test('a pending masked event does not stop an unmasked one from raising the IRQ', () => {
    bus.notifyGuest(DISPLAY);
    expect(bus.notifyGuest(HGCM)).toBe(true);
  });

  test('a filter change while events are pending is deferred to the next ack, and changes accumulate', () => {
    bus.notifyGuest(HGCM | DISPLAY | MOUSE);
    bus.setFilterMask(DISPLAY, 0);
    bus.setFilterMask(MOUSE, HGCM);
    expect(bus.filterMask).toBe(HGCM);
    expect(bus.words.load(Bus.NEW_FILTER_OK)).toBe(1);
    // The ack applies the new mask first and acknowledges with it.
    expect(bus.acknowledgeEvents()).toBe(DISPLAY | MOUSE);
    expect(bus.filterMask).toBe(DISPLAY | MOUSE);
    expect(bus.pendingEvents).toBe(HGCM);
    expect(bus.words.load(Bus.NEW_FILTER_OK)).toBe(0);
  });

  test('with nothing pending a filter change applies at once', () => {
    bus.notifyGuest(DISPLAY); // pending but masked: not "pending" for the filter rule
    bus.setFilterMask(RESTORED, HGCM);
    expect(bus.filterMask).toBe(RESTORED);
    expect(bus.words.load(Bus.NEW_FILTER_OK)).toBe(0);
  });
});

describe('enableHgcmEvents: the first HGCM command switches the HGCM event on, once', () => {
  test('sets the bit once; later calls do not set it again', () => {
    expect(bus.filterMask).toBe(0);
    bus.enableHgcmEvents();
    expect(bus.filterMask).toBe(HGCM);
    expect(bus.words.load(Bus.HGCM_ENABLED)).toBe(1);
    // The bus itself lets the mask be cleared (the request handler is what protects the bit) ...
    bus.setFilterMask(0, HGCM);
    bus.enableHgcmEvents();
    // ... and the hook does not run again.
    expect(bus.filterMask).toBe(0);
  });

  test('it follows the deferral rule like any filter change', () => {
    bus.setAdditionsOk(true);
    bus.setFilterMask(DISPLAY, 0);
    bus.notifyGuest(DISPLAY);
    bus.enableHgcmEvents();
    expect(bus.filterMask).toBe(DISPLAY);
    bus.acknowledgeEvents();
    expect(bus.filterMask).toBe(DISPLAY | HGCM);
  });

  test('switching it on while an HGCM event waits raises the IRQ', () => {
    bus.setAdditionsOk(true);
    bus.notifyGuest(HGCM);
    expect(bus.irqLine).toBe(false);
    bus.enableHgcmEvents();
    expect(bus.irqLine).toBe(true);
  });
});

describe('the vCPU side of the bus', () => {
  test('a port write: address, sequence, doorbell; the device sees it and its ack ends the wait', () => {
    const port = bus.vcpuBus(1);
    const bell = bus.doorbell.load();
    const g: Proc<void> = port.outRequest(0x12340);
    const e = g.next();
    expect(e.done).toBe(false);
    expect(bus.doorbell.load()).toBe(bell + 1);
    const pending = bus.pendingPortWrite(1);
    expect(pending).toEqual({ seq: 1, phys: 0x12340 });
    expect(bus.pendingPortWrite(0)).toBeUndefined();
    const w = e.value;
    if (w === undefined || w.k !== 'wait') throw new Error('expected a wait');
    expect(w.hint).toBe('short');
    expect(w.cell).toBe(port.wake);
    expect(w.until()).toBe(false);
    bus.ackPortWrite(1, pending!.seq);
    expect(w.until()).toBe(true);
    expect(port.wake.load()).toBe(1);
    expect(g.next('ok').done).toBe(true);
    expect(bus.pendingPortWrite(1)).toBeUndefined();
  });

  test('port addresses are read back unsigned', () => {
    const port = bus.vcpuBus(0);
    const g = port.outRequest(0xfffff000);
    g.next();
    expect(bus.pendingPortWrite(0)?.phys).toBe(0xfffff000);
  });

  test('an acked port write completes under runSync', () => {
    const port = bus.vcpuBus(2);
    // The device acknowledged before the vCPU looked (the next sequence number): the wait holds at once.
    const seq = bus.words.load(vcpuWord(2, VcpuSlot.PORT_SEQ)) + 1;
    bus.words.store(vcpuWord(2, VcpuSlot.PORT_ACK), seq);
    runSync(port.outRequest(0x5000), { clock: { now: () => 0 }, spin: 0, spinLong: 0 });
    expect(bus.pendingPortWrite(2)).toBeUndefined();
  });

  test('signals are counted, wake their vCPU only, and are consumed together', () => {
    const port = bus.vcpuBus(1);
    expect(port.signalPending()).toBe(false);
    bus.signal(1);
    bus.signal(1);
    expect(port.signalPending()).toBe(true);
    expect(wakes()).toEqual([0, 2, 0]);
    expect(port.consumeSignals()).toBe(2);
    expect(port.signalPending()).toBe(false);
  });

  test('the ISR wakes only vCPUs with waiters', () => {
    const p0 = bus.vcpuBus(0);
    const p2 = bus.vcpuBus(2);
    p2.setWaiting(true);
    p2.setWaiting(true);
    p0.wakeWaiters();
    expect(wakes()).toEqual([0, 0, 1]);
    p2.setWaiting(false);
    p0.wakeWaiters();
    expect(wakes()).toEqual([0, 0, 2]);
    p2.setWaiting(false);
    p0.wakeWaiters();
    expect(wakes()).toEqual([0, 0, 2]);
  });

  test('a wait on the wake word ends on the next IRQ', () => {
    bus.setAdditionsOk(true);
    bus.setFilterMask(HGCM, 0);
    const port = bus.vcpuBus(0);
    const w = waitFor(port.wake, () => port.irqPending());
    expect(w.until()).toBe(false);
    bus.notifyGuest(HGCM);
    expect(w.until()).toBe(true);
    expect(port.inFastAck()).toBe(HGCM);
    expect(port.irqPending()).toBe(false);
  });
});

describe("interrupts to one vCPU (irqDelivery 'one', the default)", () => {
  let one: DeviceBus;
  const woken = (): number[] => Array.from({ length: one.vcpus }, (_, i) => one.wake(i).load());
  beforeEach(() => {
    one = DeviceBus.create({ vcpus: 4, features: 0x8000000f, cancel2: true });
    one.setAdditionsOk(true);
    one.setFilterMask(HGCM, 0);
  });

  test('the wait list names the request of a lone waiter, and WAIT_ANY for several', () => {
    const p1 = one.vcpuBus(1);
    expect(one.waitingOn(1)).toBe(0);
    p1.setWaiting(true, 0x4000);
    expect(one.waitingOn(1)).toBe(0x4000);
    expect(one.vcpuBus(0).waitingOn(1)).toBe(0x4000);
    p1.setWaiting(true, 0x5000);
    expect(one.waitingOn(1)).toBe(-1);
    p1.setWaiting(false);
    // The one left cannot be told from the other: still "any".
    expect(one.waitingOn(1)).toBe(-1);
    p1.setWaiting(false);
    expect(one.waitingOn(1)).toBe(0);
    p1.setWaiting(true);
    expect(one.waitingOn(1)).toBe(-1);
  });

  test('with nobody waiting no vCPU is woken; the line stays up for the next waiter', () => {
    expect(one.notifyGuest(HGCM, 2)).toBe(true);
    expect(woken()).toEqual([0, 0, 0, 0]);
    const p3 = one.vcpuBus(3);
    p3.setWaiting(true, 0x8000);
    // What hgcmWait sleeps on: its DONE or the line; the line is up, so it does not sleep.
    expect(waitFor(p3.wake, () => p3.irqPending()).until()).toBe(true);
  });

  test('the vCPU the completed request belongs to is woken, and no other', () => {
    for (const i of [0, 1, 2, 3]) one.vcpuBus(i).setWaiting(true, 0x1000 * (i + 1));
    expect(one.notifyGuest(HGCM, 2)).toBe(true);
    expect(woken()).toEqual([0, 0, 1, 0]);
    // Coalesced: while the line is up a second completion only latches, whoever it is for.
    expect(one.notifyGuest(HGCM, 1)).toBe(false);
    expect(woken()).toEqual([0, 0, 1, 0]);
    expect(one.acknowledgeEvents()).toBe(HGCM);
  });

  test('when that vCPU is not waiting, exactly one waiting vCPU is woken, in rotation', () => {
    one.vcpuBus(1).setWaiting(true, 0x2000);
    one.vcpuBus(3).setWaiting(true, 0x4000);
    const seen = new Set<number>();
    for (let n = 0; n < 4; n++) {
      const before = woken();
      expect(one.notifyGuest(HGCM, 0)).toBe(true);
      const diff = woken().map((w, i) => w - before[i]!);
      expect(diff.reduce((a, b) => a + b, 0)).toBe(1);
      expect([diff[0], diff[2]]).toEqual([0, 0]);
      seen.add(diff.indexOf(1));
      one.acknowledgeEvents();
    }
    expect([...seen].sort()).toEqual([1, 3]);
  });

  test("irqDelivery 'all' is stored and wakes every vCPU", () => {
    const all = DeviceBus.create({ vcpus: 2, features: 0, cancel2: true, irqDelivery: 'all' });
    expect(all.words.load(Bus.IRQ_DELIVERY)).toBe(1);
    expect(one.words.load(Bus.IRQ_DELIVERY)).toBe(0);
  });
});

describe('construction', () => {
  test('vCPU count, features and the cancel2 switch are stored; attach sees the same bus', () => {
    const b = DeviceBus.create({ vcpus: 2, features: 0x80000001, cancel2: false });
    const c = DeviceBus.attach(b.sab);
    expect(c.vcpus).toBe(2);
    expect(c.features).toBe(0x80000001);
    expect(c.cancel2Implemented).toBe(false);
    b.setAdditionsOk(true);
    expect(c.additionsOk).toBe(true);
  });

  test('bad vCPU counts and indices are refused', () => {
    for (const vcpus of [0, MAX_VCPUS + 1, 1.5]) {
      expect(() => DeviceBus.create({ vcpus, features: 0, cancel2: true })).toThrow(RangeError);
    }
    expect(() => bus.vcpuBus(3)).toThrow(RangeError);
    expect(() => bus.wake(-1)).toThrow(RangeError);
    expect(() => DeviceBus.attach(new SharedArrayBuffer(64 * 4))).toThrow(/not a VMMDev bus/);
  });
});
