// A disconnect waits for the calls that passed their client check but have not reached svcCall yet
// (clients.beginStart / endStart, the host worker's call() and disconnect()): pfnDisconnect comes after
// their svcCall, as on upstream's one service thread (hgcmServiceThread runs a client's messages in order).
// Real threads: the call is held by a hook between its client check and svcCall while another vCPU
// disconnects its client.
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { Machine } from '../../src/machine/machine.js';
import type { CallReport } from './programs/cancel.js';
import { OrderEvent, orderLog } from './services/order.js';

const program = new URL('./programs/cancel.ts', import.meta.url);
// Nothing here waits on the clock; the limit only stops a hang (a machine loaded many times over).
vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 });

// One machine for the file: each test reads the log from where it stood when the test began.
let m: Machine;
let shared: SharedArrayBuffer;
beforeAll(async () => {
  m = await Machine.start({
    vcpus: 2,
    // Two pool workers: one holds the call, the other takes the disconnect.
    hostWorkers: 2,
    services: [{ name: 'order', module: new URL('./services/order.ts', import.meta.url), export: 'order' }],
  });
  shared = m.sharedMemory.services.find((s) => s.name === 'order')!.shared!;
});
afterAll(() => m?.stop());

/** The events this test logged (those after the first `from`). */
const logSince = (from: number): ReturnType<typeof orderLog> => orderLog(shared).slice(from);

/** Wait until `cond` holds; no deadline of its own (the test's limit stops a hang). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

test('a call held between its client check and svcCall: pfnDisconnect waits for its svcCall', async () => {
  const from = orderLog(shared).length;
  const share = new SharedArrayBuffer(4);
  const before = m.stats().counters;
  // host.sideEffect: the worker has counted the start and passed the client check (the call is not
  // refused), and has not called the service yet.
  const call = m.run<CallReport>({
    module: program,
    export: 'oneCall',
    args: { service: 'order', hooks: m.hooks.sab, arm: ['host.sideEffect'], ms: 0, share },
    vcpu: 0,
  });
  await m.hooks.arrived('host.sideEffect', 1, Infinity);
  const clientId = new Int32Array(share)[0]!;
  let disconnected = false;
  const disconnect = m
    .run<number>({ module: program, export: 'disconnectShared', args: { share }, vcpu: 1 })
    .finally(() => (disconnected = true));
  // The other worker has taken the disconnect and found the held start: it waits for it. (Without that
  // wait it would call pfnDisconnect now, and the disconnect would return with the call still held.)
  await until(() => m.stats().counters['host.disconnectWaits'] > before['host.disconnectWaits']);
  expect(logSince(from)).toEqual([]);
  expect(disconnected).toBe(false);
  m.hooks.release('host.sideEffect');
  expect(await disconnect).toBe(Status.VINF_SUCCESS);
  const r = await call;
  expect(r.rc).toBe(Status.VINF_SUCCESS);
  expect(r.result).toBe(Status.VINF_SUCCESS);
  expect(logSince(from)).toEqual([
    { kind: OrderEvent.CALL, clientId },
    { kind: OrderEvent.DISCONNECT, clientId },
  ]);
  const c = m.stats().counters;
  expect(c['host.disconnects'] - before['host.disconnects']).toBe(1);
  expect(c['host.disconnectWaits'] - before['host.disconnectWaits']).toBe(1);
  await until(() => m.stats().host.pendingCommands === 0);
});

test('a disconnect with no call on its way does not wait', async () => {
  const from = orderLog(shared).length;
  const share = new SharedArrayBuffer(4);
  const before = m.stats().counters;
  // The program's end disconnects its client (its session closes), after the call has returned.
  const r = await m.run<CallReport>({
    module: program,
    export: 'oneCall',
    args: { service: 'order', ms: 0, share },
    vcpu: 0,
  });
  expect(r.result).toBe(Status.VINF_SUCCESS);
  const clientId = new Int32Array(share)[0]!;
  expect(logSince(from)).toEqual([
    { kind: OrderEvent.CALL, clientId },
    { kind: OrderEvent.DISCONNECT, clientId },
  ]);
  expect(m.stats().counters['host.disconnectWaits']).toBe(before['host.disconnectWaits']);
});
