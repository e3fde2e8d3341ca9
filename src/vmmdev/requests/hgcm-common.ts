// What the HGCM request handlers share: turning an accepted request into a listed command
// (vmmdevR3HgcmCmdAlloc + vmmdevR3HgcmAddCommand).
import { point, type Proc } from '../../runtime/proc.js';
import { CmdField } from '../commands.js';
import type { DeviceEnv, RequestCtx } from '../device-env.js';

/** Fields a handler sets on a new command. */
export interface CommandFields {
  readonly clientSlot: number;
  readonly clientId: number;
  readonly service: number;
  readonly fn: number;
}

/**
 * Reserve a command slot for the request, fill it and put it on the pending list (newest first). The
 * command owns the request's snapshot from here on. Undefined when the table is full (VERR_NO_MEMORY:
 * upstream's heap budget).
 */
export function* addCommand(dev: DeviceEnv, req: RequestCtx, f: CommandFields): Proc<number | undefined> {
  const slot = dev.cmds.reserve();
  if (slot === undefined) return undefined;
  const c = dev.cmds;
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
