// A user-defined test service that logs, in its shared memory, the order in which the host reached its
// svcCall and its pfnDisconnect (on whichever pool worker), for the disconnect-ordering test.
//
//   word 0: events so far; then 2 words an event: kind (OrderEvent), client id
import { Status } from '../../../src/abi/index.js';
import { defineService } from '../../../src/hgcm/service.js';

/** What the log records. */
export const OrderEvent = { CALL: 1, DISCONNECT: 2 } as const;

/** Events the log holds at most (the test makes a few). */
const MAX_EVENTS = 15;

function log(shared: SharedArrayBuffer | undefined, kind: number, clientId: number): void {
  const w = new Int32Array(shared!);
  // ORDER: the slot is taken by the atomic add, so two workers logging at once keep their order.
  const n = Atomics.add(w, 0, 1);
  if (n >= MAX_EVENTS) return;
  Atomics.store(w, 1 + 2 * n, kind);
  Atomics.store(w, 2 + 2 * n, clientId);
}

/** The events logged so far, oldest first, from the service's shared memory. */
export function orderLog(shared: SharedArrayBuffer): { kind: number; clientId: number }[] {
  const w = new Int32Array(shared);
  const n = Math.min(Atomics.load(w, 0), MAX_EVENTS);
  return Array.from({ length: n }, (_, i) => ({
    kind: Atomics.load(w, 1 + 2 * i),
    clientId: Atomics.load(w, 2 + 2 * i),
  }));
}

export const order = defineService({
  sharedBytes: 4 * (1 + 2 * MAX_EVENTS),
  call(ctx, call) {
    log(ctx.shared, OrderEvent.CALL, call.clientId);
    return Status.VINF_SUCCESS;
  },
  disconnect(ctx, client) {
    log(ctx.shared, OrderEvent.DISCONNECT, client.clientId);
  },
});
