// What the bench's worker threads are told and share: the raw doorbell's words and jobs.
import type { Budget } from '../measure.js';

/**
 * Word indices, one cache line apart: the guest's request, the device's forward, the answer, and the
 * count of threads spinning now (the runtime's spin gate).
 */
export const Word = { REQ: 0, FWD: 16, REP: 32, GATE: 48, SIZE: 64 } as const;

/** What every worker is told: its role, the words, its spin budget and how many may spin at once (0: any). */
interface JobBase {
  readonly sab: SharedArrayBuffer;
  readonly spin: number;
  readonly spinners: number;
}

/** What each worker is told. */
export type DoorbellJob =
  | (JobBase & { readonly role: 'host' | 'dev' | 'pool' })
  | (JobBase & { readonly role: 'guest'; readonly hops: 1 | 2; readonly budget: Budget });
