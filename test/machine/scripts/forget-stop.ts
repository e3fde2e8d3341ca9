// A script that starts a machine, runs programs (one from a timer, after the machine went idle) and never
// calls stop(): it must still exit by itself once nothing is left to do (test/machine/exit-without-stop).
import { Machine } from '../../../src/index.js';

const program = new URL('../programs/api-edge.ts', import.meta.url);
const m = await Machine.start({ vcpus: 2, hostWorkers: 2 });
console.log(`first ${await m.run<number>({ module: program, export: 'double', args: { n: 21 } })}`);
setTimeout(() => {
  void m.run<number>({ module: program, export: 'double', args: { n: 5 }, vcpu: 1 }).then((n) => {
    console.log(`later ${n}`);
  });
}, 200);
