// The client table: ids increase from 1 (hgcmObjGenerateHandle), a busy slot is skipped, ids wrap from
// 0x7FFFFFFF to 1, per-service and table limits, lookups by state, pending-call counts.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ClientState, ClientTable } from '../../src/hgcm/clients.js';

// Header word of the id counter, from the diagram in src/hgcm/clients.ts.
const NEXT_ID = 1;

const MANY = 1_000_000;

describe('ClientTable', () => {
  test('ids start at 1 and increase; a client starts CONNECTING in slot id % capacity', () => {
    const t = ClientTable.create(16);
    const a = t.allocate(0, 0x3, MANY)!;
    const b = t.allocate(1, 0x8 | 0x6, MANY)!;
    expect(a).toEqual({ slot: 1, id: 1, service: 0, requestor: 0x3 });
    expect(b).toEqual({ slot: 2, id: 2, service: 1, requestor: 0xe });
    expect(t.at(a.slot)).toEqual({ ...a, state: ClientState.CONNECTING });
    expect(t.liveClients(0)).toBe(1);
    expect(t.liveClients(1)).toBe(1);
    expect(t.liveSlots()).toEqual([1, 2]);
  });

  test('the requestor reads back unsigned (LEGACY is 0xFFFFFFFF)', () => {
    const t = ClientTable.create(16);
    const c = t.allocate(0, 0xffffffff, MANY)!;
    t.setState(c.slot, ClientState.CONNECTED);
    expect(t.lookup(c.id)?.requestor).toBe(0xffffffff);
    expect(t.at(c.slot).requestor).toBe(0xffffffff);
  });

  test('ids are not reused until they wrap; an id whose slot is busy is skipped', () => {
    const t = ClientTable.create(16);
    const ids = Array.from({ length: 16 }, () => t.allocate(0, 0, MANY)!.id);
    expect(ids).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(t.allocate(0, 0, MANY)).toBeUndefined(); // every slot busy
    t.free(3); // id 3
    // 17 -> slot 1 (busy), 18 -> slot 2 (busy), 19 -> slot 3 (free)
    expect(t.allocate(0, 0, MANY)).toMatchObject({ id: 19, slot: 3 });
    t.free(5);
    expect(t.allocate(0, 0, MANY)).toMatchObject({ id: 21, slot: 5 });
  });

  test('ids wrap from 0x7FFFFFFF to 1, never 0 or 0x80000000', () => {
    const t = ClientTable.create(16);
    t.words.store(NEXT_ID, 0x7ffffffe);
    const got = [0, 1, 2].map(() => t.allocate(0, 0, MANY)!.id);
    expect(got).toEqual([0x7ffffffe, 0x7fffffff, 1]);
    expect(t.allocate(0, 0, MANY)!.id).toBe(2);
  });

  test('after a wrap, ids still held by live clients are skipped', () => {
    const t = ClientTable.create(16);
    const one = t.allocate(0, 0, MANY)!; // id 1, slot 1
    t.words.store(NEXT_ID, 0x7fffffff);
    expect(t.allocate(0, 0, MANY)!.id).toBe(0x7fffffff);
    const next = t.allocate(0, 0, MANY)!;
    expect(next.id).toBe(2);
    expect(next.id).not.toBe(one.id);
  });

  test('per-service limit: VERR_HGCM_TOO_MANY_CLIENTS territory, and freeing makes room', () => {
    const t = ClientTable.create(16);
    const a = t.allocate(4, 0, 2)!;
    t.allocate(4, 0, 2);
    expect(t.allocate(4, 0, 2)).toBeUndefined();
    expect(t.allocate(5, 0, 2)).not.toBeUndefined(); // other services are counted apart
    t.free(a.slot);
    expect(t.liveClients(4)).toBe(1);
    expect(t.allocate(4, 0, 2)).not.toBeUndefined();
  });

  test('free is idempotent and releases the counts once', () => {
    const t = ClientTable.create(16);
    const a = t.allocate(0, 0, MANY)!;
    t.free(a.slot);
    t.free(a.slot);
    expect(t.liveClients(0)).toBe(0);
    expect(t.liveSlots()).toEqual([]);
    expect(t.at(a.slot).state).toBe(ClientState.FREE);
  });

  test('lookup finds a client by id in the state asked for (CONNECTED by default)', () => {
    const t = ClientTable.create(16);
    const a = t.allocate(2, 0x1, MANY)!;
    expect(t.lookup(a.id)).toBeUndefined(); // still connecting: not accessible to the guest
    expect(t.lookup(a.id, ClientState.CONNECTING)).toEqual({
      slot: a.slot,
      id: a.id,
      service: 2,
      requestor: 1,
    });
    t.setState(a.slot, ClientState.CONNECTED);
    expect(t.lookup(a.id)).toMatchObject({ id: a.id, service: 2 });
    t.setState(a.slot, ClientState.DISCONNECTING);
    expect(t.lookup(a.id)).toBeUndefined();
    expect(t.lookup(a.id, ClientState.DISCONNECTING)).toMatchObject({ id: a.id });
  });

  test('lookup refuses ids that cannot be clients, and ids whose slot holds someone else', () => {
    const t = ClientTable.create(16);
    const a = t.allocate(0, 0, MANY)!;
    t.setState(a.slot, ClientState.CONNECTED);
    for (const bad of [0, -1, 0x80000000, 0xffffffff, 1.5, Number.NaN]) {
      expect(t.lookup(bad), String(bad)).toBeUndefined();
    }
    expect(t.lookup(a.id + 16)).toBeUndefined(); // same slot, different id
    expect(t.lookup(a.id)).not.toBeUndefined();
  });

  test('pending calls are counted up to the limit and never past it', () => {
    const t = ClientTable.create(16);
    const a = t.allocate(0, 0, MANY)!;
    expect(t.beginCall(a.slot, 2)).toBe(true);
    expect(t.beginCall(a.slot, 2)).toBe(true);
    expect(t.beginCall(a.slot, 2)).toBe(false);
    expect(t.pendingCalls(a.slot)).toBe(2);
    t.endCall(a.slot);
    expect(t.pendingCalls(a.slot)).toBe(1);
    expect(t.beginCall(a.slot, 2)).toBe(true);
  });

  test('a new client in a reused slot starts with no pending calls', () => {
    const t = ClientTable.create(16);
    const a = t.allocate(0, 0, MANY)!;
    t.beginCall(a.slot, 10);
    t.free(a.slot);
    t.words.store(NEXT_ID, a.id + 16);
    const b = t.allocate(0, 0, MANY)!;
    expect(b.slot).toBe(a.slot);
    expect(t.pendingCalls(b.slot)).toBe(0);
  });

  test('a second view of the same memory sees the same clients', () => {
    const t = ClientTable.create(32);
    const u = ClientTable.attach(t.sab);
    expect(u.capacity).toBe(32);
    const a = t.allocate(0, 0, MANY)!;
    u.setState(a.slot, ClientState.CONNECTED);
    expect(t.lookup(a.id)).not.toBeUndefined();
    expect(u.allocate(0, 0, MANY)!.id).toBe(a.id + 1);
  });

  test('a model: live ids are unique, found by lookup, and counted per service', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.array(
          fc.oneof(
            fc.nat(3).map((s) => ({ alloc: s })),
            fc.nat().map((i) => ({ free: i })),
          ),
          {
            maxLength: 60,
          },
        ),
        (startId, ops) => {
          const t = ClientTable.create(16);
          t.words.store(NEXT_ID, startId);
          const live = new Map<number, { id: number; service: number }>();
          for (const op of ops) {
            if ('alloc' in op) {
              const c = t.allocate(op.alloc, 0, 6);
              const full =
                live.size === 16 || [...live.values()].filter((x) => x.service === op.alloc).length >= 6;
              expect(c === undefined).toBe(full);
              if (c === undefined) continue;
              expect(c.id).toBeGreaterThanOrEqual(1);
              expect(c.id).toBeLessThanOrEqual(0x7fffffff);
              expect(c.slot).toBe(c.id % 16);
              expect([...live.values()].some((x) => x.id === c.id)).toBe(false);
              t.setState(c.slot, ClientState.CONNECTED);
              live.set(c.slot, { id: c.id, service: op.alloc });
            } else {
              const slots = [...live.keys()];
              if (slots.length === 0) continue;
              const slot = slots[op.free % slots.length]!;
              t.free(slot);
              live.delete(slot);
            }
            for (const { id, service } of live.values()) expect(t.lookup(id)?.service).toBe(service);
            for (let s = 0; s < 4; s++) {
              expect(t.liveClients(s)).toBe([...live.values()].filter((x) => x.service === s).length);
            }
            expect(t.liveSlots().sort((x, y) => x - y)).toEqual([...live.keys()].sort((x, y) => x - y));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
