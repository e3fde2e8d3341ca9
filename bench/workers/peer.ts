// The peers' far side: a worker that echoes MessagePort messages, or exposes a comlink API, so the main
// thread can time what a user would otherwise reach for to call code on another thread.
import * as Comlink from 'comlink';
import { parentPort, workerData } from 'node:worker_threads';
import { nodeEndpoint } from '../../src/machine/endpoint.js';

const { role } = workerData as { role: 'echo' | 'comlink' };
const port = parentPort!;
if (role === 'echo') {
  port.on('message', (m: unknown) => port.postMessage(m));
} else {
  Comlink.expose(
    {
      noop(): void {},
      echo(x: Uint8Array): Uint8Array {
        return x;
      },
    },
    nodeEndpoint(port),
  );
}
