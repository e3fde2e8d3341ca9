// Layout of the device bus: the SharedArrayBuffer holding VMMDev state that vCPUs reach through ports.
//
//   word  0 MAGIC           'VMMD'
//         1 VCPUS           number of vCPU blocks
//         2 DOORBELL        bumped by a vCPU after filling its port slot; the device thread sleeps here
//         3 DEVICE_STATE    0 starting, 1 running, 2 stop requested, 3 stopped
//         4 EVENT_LOCK      sealed lock over words 5-9 (the device critsect for events)
//         5 HOST_EVENTS     fHostEventFlags: latched VMMDEV_EVENT_* bits
//         6 GUEST_FILTER    fGuestFilterMask
//         7 NEW_FILTER      fNewGuestFilterMask: a mask change deferred while events are pending
//         8 NEW_FILTER_OK   fNewGuestFilterMaskValid
//         9 IRQ_LINE        VMMDevMemory.fHaveEvents and the PCI INTx level (read lock-free by vCPUs)
//        10 ADDITIONS_OK    fu32AdditionsOk: the guest reported a supported interface version
//        11 HGCM_ENABLED    u32HGCMEnabled: the first HGCM command switched the HGCM event on
//        12 CONTROL         bumped by the main thread when a control message waits for the device
//        13 FEATURES        VMMDEV_HVF_* the host reports
//        14 CANCEL2         1 if the host implements HGCMCancel2 (0: an "old host", VERR_NOT_IMPLEMENTED)
//        15 REQUEST_LOCK    the device's lock over request handling when vCPUs handle their own port writes
//                           (device 'emt': PDM's device critsect, taken by the EMT that did the `out`)
//        16 IRQ_DELIVERY    how an interrupt reaches the vCPUs: 0 to one vCPU (IrqDelivery.ONE), 1 to all
//        17 IRQ_NEXT        rotation of the one-vCPU delivery among waiting vCPUs (lowest priority)
//        18..19             reserved
//   20 + 16*i: vCPU i block
//        +0 PORT_ADDR       physical address written by the port write
//        +1 PORT_SEQ        incremented by the vCPU after PORT_ADDR: a port write is pending while != PORT_ACK
//        +2 PORT_ACK        set to PORT_SEQ by the device when it has handled the request
//        +3 WAKE            the vCPU sleeps here; port acks, IRQ delivery and signals bump it
//        +4 SIGNAL          pending signal count
//        +5 WAITING         guest threads on this vCPU waiting for an HGCM completion (the wait list)
//        +6 TRACED          1 if the vCPU's current call is traced (tracing instrumentation)
//        +7 WAIT_REQ        what its waiter waits for: 0 none, the request's address, or WAIT_ANY (several
//                           waiters, or one whose request is not known): the wait list entry's pHGCMReq
//        +8..15             reserved

/** Bus header word indices. */
export const Bus = {
  MAGIC: 0,
  VCPUS: 1,
  DOORBELL: 2,
  DEVICE_STATE: 3,
  EVENT_LOCK: 4,
  HOST_EVENTS: 5,
  GUEST_FILTER: 6,
  NEW_FILTER: 7,
  NEW_FILTER_OK: 8,
  IRQ_LINE: 9,
  ADDITIONS_OK: 10,
  HGCM_ENABLED: 11,
  CONTROL: 12,
  FEATURES: 13,
  CANCEL2: 14,
  REQUEST_LOCK: 15,
  IRQ_DELIVERY: 16,
  IRQ_NEXT: 17,
} as const;

/** IRQ_DELIVERY values: where an interrupt goes (MachineConfig.irqDelivery). */
export const IrqDelivery = {
  /** One vCPU, as an I/O APIC routes a PCI interrupt in lowest-priority mode: a halted one. */
  ONE: 0,
  /** Every vCPU (the model before issue 14; kept to measure against). */
  ALL: 1,
} as const;

/** WAIT_REQ of a vCPU whose waiters cannot be told apart: the ISR wakes it whatever completed. */
export const WAIT_ANY = -1;

/** Offsets inside a vCPU block. */
export const VcpuSlot = {
  PORT_ADDR: 0,
  PORT_SEQ: 1,
  PORT_ACK: 2,
  WAKE: 3,
  SIGNAL: 4,
  WAITING: 5,
  TRACED: 6,
  WAIT_REQ: 7,
} as const;

/** DEVICE_STATE values. */
export const DeviceState = {
  STARTING: 0,
  RUNNING: 1,
  STOP_REQUESTED: 2,
  STOPPED: 3,
} as const;

/** 'VMMD' little-endian. */
export const BUS_MAGIC = 0x444d4d56;
/** Words of the bus header. */
export const BUS_HEADER_WORDS = 20;
/** Words per vCPU block. */
export const VCPU_BLOCK_WORDS = 16;
/** Most vCPUs a machine may have. */
export const MAX_VCPUS = 64;

/** Word index of field `slot` of vCPU `vcpu`. */
export function vcpuWord(vcpu: number, slot: number): number {
  return BUS_HEADER_WORDS + VCPU_BLOCK_WORDS * vcpu + slot;
}

/** Total words of a bus with `vcpus` vCPUs. */
export function busWords(vcpus: number): number {
  return BUS_HEADER_WORDS + VCPU_BLOCK_WORDS * vcpus;
}
