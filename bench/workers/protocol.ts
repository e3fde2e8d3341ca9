// What the bench's worker threads are told and share: the raw doorbell's words and jobs.
import type { Budget, LoopWindow } from '../measure.js';

/**
 * Word indices, one cache line apart: the guest's request, the device's forward, the answer, and the
 * runtime's spin gate (threads spinning now, threads working now). Pairs measured together (PairJob) each
 * use the request and answer words of their own block of SIZE words, pair k the block k + 1, and share
 * the gate words of block 0.
 */
export const Word = { REQ: 0, FWD: 16, REP: 32, GATE: 48, SIZE: 64 } as const;

/** What every worker is told: its role, the words, its spin budget and how many may spin at once (0: any). */
interface JobBase {
  readonly sab: SharedArrayBuffer;
  readonly spin: number;
  readonly spinners: number;
}

/**
 * One of several guest/host pairs ringing at once, as vCPUs calling pool workers do: the pair's words are
 * at `base`, and the spin gate is the runtime's whole one (at most `spinners` spin, and none while more
 * threads work than there are `cores`; a parked thread does not count).
 */
interface PairJob extends JobBase {
  readonly base: number;
  readonly cores: number;
}

/** What each worker is told. */
export type DoorbellJob =
  | (JobBase & { readonly role: 'host' | 'dev' | 'pool' })
  | (JobBase & { readonly role: 'guest'; readonly hops: 1 | 2; readonly budget: Budget })
  | (PairJob & { readonly role: 'pair-host' })
  | (PairJob & { readonly role: 'pair-guest'; readonly window: LoopWindow });
