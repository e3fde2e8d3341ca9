// A script whose Machine.start() rejects (a service whose setup throws on the host workers) and that does
// nothing else: it must exit by itself once the rejection is handled (test/machine/exit-without-stop).
import { Machine } from '../../../src/index.js';

try {
  await Machine.start({
    vcpus: 1,
    hostWorkers: 2,
    services: [
      {
        name: 'misbehave',
        module: new URL('../services/misbehave.ts', import.meta.url),
        export: 'misbehave',
        config: { failSetup: true },
      },
    ],
  });
  console.log('started');
} catch (e) {
  console.log(`rejected: ${(e as Error).message}`);
}
