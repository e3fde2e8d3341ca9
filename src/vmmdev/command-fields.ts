// The fields and states of a pending-command slot (commands.ts), as data: what the command list, the
// device, the host and the fault steps read a slot by (fault-steps.ts may not import commands.ts itself).
/** Fields of a command slot. */
export const CmdField = {
  STATE: 0,
  CANCELLED: 1,
  PHYS: 2,
  SEQ: 3,
  TYPE: 4,
  CLIENT_SLOT: 5,
  CLIENT_ID: 6,
  FUNCTION: 7,
  SNAP_OFF: 8,
  SNAP_LEN: 9,
  VCPU: 10,
  ID: 11,
  SERVICE: 12,
  /** Audit mode: the guest heap generation of the request block at submission. */
  GEN: 13,
  /** 1 + the pool worker that took the command (0: none yet), so a dead worker's commands can be failed. */
  OWNER: 14,
  /** 1 while the host copies the call's TO_HOST data out of guest memory (see beginCapture). */
  CAPTURING: 15,
  /** 1 if the call is traced (the vCPU's traced flag at submission). */
  TRACED: 16,
  /** Calls: the arena offset and bytes of the parameters as the device parsed them (command.ts); 0 none. */
  CALL_OFF: 17,
  CALL_LEN: 18,
  /** Calls: the host buffer bytes charged to the machine's budget (chargeHost). */
  HOST_BYTES: 19,
} as const;

/** Slot states. */
export const CmdState = {
  FREE: 0,
  /** Being filled by the device; not findable yet. */
  RESERVED: 1,
  /** On the pending list: findable by cancel. */
  LISTED: 2,
  /** Removed by completion (or dropped); being finished. */
  REMOVED: 3,
} as const;
