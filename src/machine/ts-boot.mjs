// Worker entry used only from .ts sources on Node 20 (tsx, vitest): register tsx's ESM hooks inside the
// worker, then import the real entry named in workerData.__entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
// runtime/modules.ts must not register the hooks a second time on this thread.
globalThis[Symbol.for('hgcm-runtime.tsx')] = true;
await import(workerData.__entry);
