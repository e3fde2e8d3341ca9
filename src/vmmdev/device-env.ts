// What request handlers work with: the host environment plus the connector, the host's version, a clock
// and a log.
import type { HgcmConnector } from '../hgcm/connector.js';
import type { ByteView } from '../runtime/bytes.js';
import type { Clock, Proc } from '../runtime/proc.js';
import type { StatusCode } from '../abi/index.js';
import type { CancelMatch } from './commands.js';
import type { HgcmHostEnv } from './complete.js';

/** The version GetHostVersion reports (VirtualBox 7.0.14 r161095 by default). */
export interface HostVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
}

/** The device's environment. */
export interface DeviceEnv extends HgcmHostEnv {
  readonly hgcm: HgcmConnector;
  readonly version: HostVersion;
  readonly clock: Clock;
  /** Which command a cancel hits (see CancelMatch). */
  readonly cancelMatch: CancelMatch;
  log(message: string): void;
}

/** One request being handled: the validated header and the host copy of the whole request. */
export interface RequestCtx {
  readonly vcpu: number;
  /** Guest-physical address of the request. */
  readonly phys: number;
  readonly size: number;
  readonly type: number;
  readonly requestor: number;
  /** The snapshot: `size` bytes, header from the validated first read. Handlers write outputs here. */
  readonly snap: Uint8Array;
  readonly view: ByteView;
  /** Arena offset of the snapshot (HGCM commands only; -1 otherwise). */
  readonly snapOff: number;
}

/** A handler's verdict: its status, and whether a command now owns the snapshot. */
export interface HandlerResult {
  readonly rc: StatusCode;
  readonly ownsSnapshot?: boolean;
}

/** A request handler (one file per request type under requests/). */
export type RequestHandler = (dev: DeviceEnv, req: RequestCtx) => Proc<HandlerResult>;
