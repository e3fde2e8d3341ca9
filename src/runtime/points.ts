// The interleaving points of the protocol core (reference: cancel-race.md section 4.2). A step machine
// yields a point wherever another thread's action could change the outcome; the sim executor may switch
// actors there, the threads executor runs straight through (or stops at an armed test hook).

/** Every point, in a fixed order: the index is the point's id in traces and hook tables. */
export const POINTS = [
  // guest library
  'guest.alloc',
  'guest.fill',
  'guest.portWrite',
  'guest.readRc',
  'guest.checkDone',
  'guest.sleep',
  'guest.wake',
  'guest.cancel2',
  'guest.readCancelRc',
  'guest.fallbackSetFlags',
  'guest.fallbackSubmit',
  'guest.graceCheck',
  'guest.copyBack',
  'guest.free',
  'guest.leak',
  // device (VMMDev request handling)
  'device.doorbell',
  'device.accept',
  'device.enlist',
  'device.cancel.lock',
  'device.cancel.find',
  'device.cancel.mark',
  'device.cancel.unlock',
  'device.oldCancel',
  // host (HGCM dispatch, service, completion)
  'host.pick',
  'host.isCancelled',
  'host.sideEffect',
  'host.complete.remove',
  'host.complete.checkCancelled',
  'host.complete.readReq',
  'host.complete.writeParams',
  'host.complete.writeBuffers',
  'host.complete.writeHeader',
  'host.complete.setDone',
  'host.complete.notify',
  // guest interrupt handling
  'irq.ack',
  'irq.wake',
] as const;

/** A point's name. */
export type PointName = (typeof POINTS)[number];

/** A point's numeric id (index into POINTS). */
export const PointId: Readonly<Record<PointName, number>> = Object.freeze(
  Object.fromEntries(POINTS.map((name, i) => [name, i])) as Record<PointName, number>,
);
