// What the bench's worker threads are told and share: the raw doorbell's words and jobs.
import type { Budget } from '../measure.js';

/** Word indices, one cache line apart: the guest's request, the device's forward, the answer. */
export const Word = { REQ: 0, FWD: 16, REP: 32, SIZE: 48 } as const;

/** What each worker is told. */
export type DoorbellJob =
  | { readonly role: 'host' | 'dev' | 'pool'; readonly sab: SharedArrayBuffer; readonly spin: number }
  | {
      readonly role: 'guest';
      readonly sab: SharedArrayBuffer;
      readonly spin: number;
      readonly hops: 1 | 2;
      readonly budget: Budget;
    };
