// The host half of a call, what runs on a host worker thread: the worker loop, a call's owner, completion,
// and the HostPort the device reaches it through.
export { HostCall } from './call.js';
export { hgcmCompletedWorker } from './complete.js';
export type { CompletionOutcome, CompletionResults, HostEnv } from './complete.js';
export { HostWorker, failOwnedCommands, hostPort } from './worker.js';
export type { HostWorkerDeps } from './worker.js';
