// The device (VMMDev): its shared bus, the request handler and its loop, the pending-command list, the
// snapshot arena, the parse of a call and the command the host takes over, and the HostPort it reaches
// the host half through.
export { BUS_MAGIC, Bus, DeviceState, MAX_VCPUS, VcpuSlot, vcpuWord } from './bus-layout.js';
export { DeviceBus } from './bus.js';
export type { BusOptions, PortWriteHandler } from './bus.js';
export { RequestScratch, deviceLoop, emtPortWrites, handleRequest } from './device.js';
export type {
  DeviceEnv,
  HandlerResult,
  HostPort,
  HostShared,
  HostVersion,
  HostWriteAuditor,
  RequestCtx,
  RequestHandler,
} from './device-env.js';
export { CmdField, CmdState, CommandTable } from './commands.js';
export type { CancelMatch } from './commands.js';
export { freeCommand, readCommand, readCommandHead } from './command.js';
export type { HgcmCommand } from './command.js';
export { SnapshotArena } from './command.js';
export { parseHgcmCall } from './parse-call.js';
export type { ParsedCall, ParsedParm, PhysRun } from './parse-call.js';
export { ALL_HOST_FEATURES } from './requests/get-host-version.js';
