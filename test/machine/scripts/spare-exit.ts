// A script that starts and stops a machine, leaving its host pool kept for a next machine that never comes:
// what keeps the process alive is what did before the machine (the kept pool holds nothing), and the script
// exits by itself (test/machine/exit-without-stop).
import { Machine } from '../../../src/index.js';
import { sparePools } from '../../../src/machine/spare-pools.js';

const before = process.getActiveResourcesInfo();
const m = await Machine.start({ vcpus: 1, hostWorkers: 2 });
await m.stop();
const after = process.getActiveResourcesInfo();
console.log(`kept ${sparePools()}, holding the same: ${JSON.stringify(after) === JSON.stringify(before)}`);
