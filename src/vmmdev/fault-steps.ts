// The device's steps as the faults of runtime/faults.ts replace them: each wrong version is written in
// terms of the correct steps it is handed, so the protocol files (commands.ts, requests/hgcm-cancel.ts)
// hold only the rules. Those files import this one, so it imports only types from them (a value import
// would be a cycle). Runs on the thread handling the port write.
import { Status } from '../abi/index.js';
import type { FaultVariants } from '../runtime/index.js';
import type { ListSteps } from './commands.js';
import type { LegacyCancelSteps } from './requests/hgcm-cancel.js';

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
