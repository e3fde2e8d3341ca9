// What the HGCM request handlers share: turning an accepted request into a listed command
// (vmmdevR3HgcmCmdAlloc + vmmdevR3HgcmAddCommand). Runs on the thread handling the port write.
import { point, type Proc } from '../../runtime/index.js';
import { CmdField } from '../commands.js';
import { storeCall } from '../command.js';
import type { DeviceEnv, RequestCtx } from '../device-env.js';
import type { ParsedCall } from '../parse-call.js';

/** Fields a handler sets on a new command. */
export interface CommandFields {
  readonly clientSlot: number;
  readonly clientId: number;
  readonly service: number;
  readonly fn: number;
}

/**
 * Reserve a command slot for the request, fill it (a call's parsed parameters too) and put it on the
 * pending list (newest first). The command owns the request's snapshot from here on. Undefined when the
 * table or the snapshot arena is full (VERR_NO_MEMORY: upstream's heap budget).
 */
export function* addCommand(
  dev: DeviceEnv,
  req: RequestCtx,
  f: CommandFields,
  call?: ParsedCall,
): Proc<number | undefined> {
  const slot = dev.cmds.reserve();
  if (slot === undefined) return undefined;
  const c = dev.cmds;
  if (call !== undefined && !storeCall(c, dev.snaps, slot, call)) {
    c.release(slot);
    return undefined;
  }
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
