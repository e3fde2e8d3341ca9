// The end of a vCPU worker as a promise, so that every run() on it settles (main thread): a program still
// running when its vCPU's thread exits (stop() terminated it, or it died) can never return, and comlink's
// promise for it would wait forever.
import type { Worker } from 'node:worker_threads';
import { MachineStateError, WorkerError } from '../runtime/index.js';

/** Why the machine ends, if it does: it failed (the error), it is stopping ('stopping'), or neither. */
export type MachineEnd = () => Error | 'stopping' | undefined;

/**
 * A promise that rejects when `worker` exits: with a WorkerError saying why the machine failed, if it
 * did; a MachineStateError ("machine stopped ...") if it is stopping; else a WorkerError naming the
 * thread and its exit code. It never resolves, and a rejection nobody awaits is not reported as unhandled.
 */
export function vcpuEnd(worker: Worker, name: string, end: MachineEnd): Promise<never> {
  const ended = new Promise<never>((_resolve, reject) => {
    worker.once('exit', (code) => {
      const why = end();
      if (why instanceof Error) reject(new WorkerError(`machine failed: ${why.message}`));
      else if (why === 'stopping')
        reject(new MachineStateError(`machine stopped while a program ran on ${name}`));
      else reject(new WorkerError(`${name} exited (code ${code}) while a program ran on it`));
    });
  });
  ended.catch(() => undefined);
  return ended;
}
