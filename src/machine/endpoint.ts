// comlink's Endpoint over a node:worker_threads port (what comlink's node-adapter does, typed for NodeNext
// without the DOM library).
import type { Endpoint } from 'comlink';
import type { MessagePort, Worker } from 'node:worker_threads';

type ListenerArg = Parameters<Endpoint['addEventListener']>[1];
type Listener = (ev: { data: unknown }) => void;

/** A comlink Endpoint for a Worker (main side) or a MessagePort / parentPort (worker side). */
export function nodeEndpoint(port: MessagePort | Worker): Endpoint {
  const wrapped = new WeakMap<object, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: readonly unknown[]) => {
      // SAFETY: comlink only transfers what the caller marked with Comlink.transfer (ports, buffers).
      port.postMessage(message, transfer as never);
    },
    addEventListener: (_type: string, listener: ListenerArg) => {
      // SAFETY: comlink passes plain functions taking a MessageEvent-like { data }.
      const fn = listener as unknown as Listener;
      const onMessage = (data: unknown): void => fn({ data });
      wrapped.set(fn, onMessage);
      port.on('message', onMessage);
    },
    removeEventListener: (_type: string, listener: ListenerArg) => {
      const onMessage = wrapped.get(listener as unknown as Listener);
      if (onMessage !== undefined) port.off('message', onMessage);
    },
  };
}
