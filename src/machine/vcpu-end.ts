// The end of a vCPU worker as a promise, so that every run() on it settles (main thread): a program still
// running when its vCPU's thread exits (stop() terminated it, or it died) can never return, and comlink's
// promise for it would wait forever.
import type { Worker } from 'node:worker_threads';
import { MachineStateError, WorkerError } from '../runtime/index.js';

/** Why the machine ends, if it does: it failed (the error), it is stopping ('stopping'), or neither. */
export type MachineEnd = () => Error | 'stopping' | undefined;

/** A vCPU thread's end, as vcpuEnd gives it. */
export interface VcpuEnd {
  /** Rejects when the thread exits; never resolves. */
  readonly ended: Promise<never>;
  /** The thread exited. */
  readonly exited: () => boolean;
  /** Stop watching (the thread goes on to serve another machine: spare-pools.ts). */
  readonly dispose: () => void;
}

/**
 * A promise that rejects when `worker` exits: with a WorkerError saying why the machine failed, if it
 * did; a MachineStateError ("machine stopped ...") if it is stopping; else a WorkerError naming the
 * thread and its exit code. It never resolves, and a rejection nobody awaits is not reported as unhandled.
 */
export function vcpuEnd(worker: Worker, name: string, end: MachineEnd): VcpuEnd {
  let exited = false;
  let onExit: (code: number) => void = () => undefined;
  const ended = new Promise<never>((_resolve, reject) => {
    onExit = (code) => {
      exited = true;
      const why = end();
      if (why instanceof Error) reject(new WorkerError(`machine failed: ${why.message}`));
      else if (why === 'stopping')
        reject(new MachineStateError(`machine stopped while a program ran on ${name}`));
      else reject(new WorkerError(`${name} exited (code ${code}) while a program ran on it`));
    };
    worker.once('exit', onExit);
  });
  ended.catch(() => undefined);
  return { ended, exited: () => exited, dispose: () => worker.off('exit', onExit) };
}
