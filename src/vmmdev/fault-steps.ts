// The device's steps as the faults of runtime/faults.ts replace them: each wrong version is written in
// terms of the correct steps it is handed, so the protocol files (commands.ts, requests/hgcm-cancel.ts)
// hold only the rules. Those files import this one, so it imports only types from them (a value import
// would be a cycle). Runs on the thread handling the port write.
import { RequestType, Status } from '../abi/index.js';
import { ClientState } from '../hgcm/index.js';
import type { FaultVariants } from '../runtime/index.js';
import { CmdField } from './command-fields.js';
import type { ListSteps } from './commands.js';
import type { LegacyCancelSteps } from './requests/hgcm-cancel.js';
import type { Cancel2Steps } from './requests/hgcm-cancel2.js';
import type { DisconnectSteps } from './requests/hgcm-disconnect.js';

/** Faults of the pending list's cancel (commands.ts). */
export const LIST_FAULTS: FaultVariants<ListSteps> = {
  // Cancel finds and marks without the list lock: it races the completion's remove-then-check.
  'cancel-without-lock': () => ({
    *lockList() {},
    unlockList: () => undefined,
  }),
  // Cancel marks the oldest command at the address, cancelled or not, not the newest uncancelled one.
  'cancel-oldest': () => ({ find: (t, phys) => t.findLocked(phys, false, true) }),
};

/** Faults of the legacy cancel (requests/hgcm-cancel.ts). */
export const LEGACY_CANCEL_FAULTS: FaultVariants<LegacyCancelSteps> = {
  // The legacy cancel reports success without marking: the host will still write the call back.
  'legacy-cancel-no-mark': () => ({
    *cancelAt() {
      return Status.VINF_SUCCESS;
    },
  }),
};

/** Faults of Cancel2 (requests/hgcm-cancel2.ts). */
export const CANCEL2_FAULTS: FaultVariants<Cancel2Steps> = {
  // A cancel of a command whose client is gone reports success without marking it: its guest frees the
  // request, and the command stays listed, unmarked, for an address the guest may reuse.
  'cancel2-gone-no-mark': (s) => ({
    *cancelAt(dev, phys) {
      for (const slot of dev.cmds.listedSlots()) {
        if (dev.cmds.get(slot, CmdField.PHYS) >>> 0 !== phys >>> 0) continue;
        const client = dev.clients.at(dev.cmds.get(slot, CmdField.CLIENT_SLOT));
        const gone =
          client.id !== dev.cmds.get(slot, CmdField.CLIENT_ID) >>> 0 ||
          client.state !== ClientState.CONNECTED;
        if (gone && dev.cmds.isCancelled(slot) === false) return Status.VINF_SUCCESS;
      }
      return yield* s.cancelAt(dev, phys);
    },
  }),
};

/** Faults of a disconnect (requests/hgcm-disconnect.ts). */
export const DISCONNECT_FAULTS: FaultVariants<DisconnectSteps> = {
  // The handle stays usable until the service's disconnect has run: calls of the client queued meanwhile
  // are started.
  'disconnect-keeps-handle': (s) => ({
    *begin(dev, clientId) {
      const client = yield* s.begin(dev, clientId);
      if (client !== undefined) dev.clients.setState(client.slot, ClientState.CONNECTED);
      return client;
    },
  }),
  // The client's pending call commands are taken off the list: neither completed nor findable by a cancel.
  'disconnect-drops-pending': (s) => ({
    *begin(dev, clientId) {
      const client = yield* s.begin(dev, clientId);
      if (client === undefined) return client;
      for (const slot of dev.cmds.listedSlots()) {
        const type = dev.cmds.get(slot, CmdField.TYPE);
        if (type !== RequestType.HGCMCall32 && type !== RequestType.HGCMCall64) continue;
        if (dev.cmds.get(slot, CmdField.CLIENT_ID) >>> 0 === clientId) yield* dev.cmds.remove(slot);
      }
      return client;
    },
  }),
};
