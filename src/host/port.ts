// The device's way to the host half of a call (the HostPort of vmmdev/device-env.ts): a listed command
// goes onto the dispatch ring for the pool, or, for an inline service's call, to a host worker on this
// very thread; cancel notices go onto the ring; a command the device answers itself is completed here.
// Runs on the thread handling a port write. Also the failing of a dead pool worker's commands (main thread).
import { Status, type StatusCode } from '../abi/index.js';
import { type ClientInfo, type DispatchRing, type ServiceSpec, Work, type WorkKind } from '../hgcm/index.js';
import { InvariantError, type Proc } from '../runtime/index.js';
import { CmdField, type HostPort, readCommand } from '../vmmdev/index.js';
import { hgcmCompletedWorker, type HostEnv } from './complete.js';
import type { HostWorker } from './worker.js';

/**
 * The HostPort of a device on `env`: `ring` to the pool, `inline` (a HostWorker with `inline: true`) for
 * the calls of inline services. The ring holds every command twice over plus the workers' STOP items, so a
 * push of a command cannot fail; cancel notices take only its first half.
 */
export function hostPort(
  env: HostEnv,
  ring: DispatchRing,
  specs: readonly ServiceSpec[],
  inline: HostWorker | undefined,
): HostPort {
  return {
    *dispatch(kind: WorkKind, slot: number): Proc<void> {
      if (
        kind === Work.CALL &&
        inline !== undefined &&
        specs[env.cmds.get(slot, CmdField.SERVICE)]?.inline === true
      ) {
        yield* inline.serve(kind, slot, 0);
        return;
      }
      if (!ring.push(kind, slot))
        throw new InvariantError('dispatch ring full: sized below the command table');
    },
    cancelled(client: ClientInfo): void {
      if (ring.length < ring.capacity / 2) ring.push(Work.CANCELLED, client.slot, client.id);
    },
    *complete(slot: number, rc: StatusCode, clientId?: number): Proc<void> {
      const results =
        clientId === undefined ? ({ kind: 'none' } as const) : { kind: 'connect' as const, clientId };
      yield* hgcmCompletedWorker(env, readCommand(env.cmds, env.snaps, slot), rc, results);
    },
  };
}

/**
 * Complete, with VERR_HGCM_INTERNAL, every listed command a dead pool worker had taken: its calls would
 * otherwise never complete and their guests would wait forever. Returns how many were failed.
 */
export function* failOwnedCommands(env: HostEnv, workerId: number): Proc<number> {
  let n = 0;
  for (const slot of env.cmds.listedSlots()) {
    if (env.cmds.get(slot, CmdField.OWNER) !== workerId + 1) continue;
    const cmd = readCommand(env.cmds, env.snaps, slot);
    if ((yield* hgcmCompletedWorker(env, cmd, Status.VERR_HGCM_INTERNAL, { kind: 'none' })) === 'written')
      n++;
  }
  return n;
}
