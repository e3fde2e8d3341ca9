// Messages worker threads send to the main thread besides comlink traffic (discriminated by `type`).

/** A message from a device, vCPU or pool worker. */
export type WorkerMessage =
  { readonly type: 'ready' } | { readonly type: 'stopped' } | { readonly type: 'log'; readonly line: string };

/** Is this a WorkerMessage (and not comlink's)? */
export function isWorkerMessage(m: unknown): m is WorkerMessage {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return (
    t === 'ready' || t === 'stopped' || (t === 'log' && typeof (m as { line?: unknown }).line === 'string')
  );
}
