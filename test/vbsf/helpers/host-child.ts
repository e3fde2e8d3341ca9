// A machine in a child process, for tests whose host side must run as another user (a non-root uid makes
// the kernel's permission checks bite, which root bypasses): started by runScriptAs with uid/gid set, it
// runs one step script on a share and prints each step's status and Result as JSON on stdout.
import { Machine } from '../../../src/machine/machine.js';
import type { SharedFolderConfig } from '../../../src/vbsf/index.js';
import type { Script, StepResult } from '../programs/script.js';

const { shares, script } = JSON.parse(process.argv[2] ?? '{}') as {
  shares: SharedFolderConfig[];
  script: Script;
};
const m = await Machine.start({ vcpus: 1, hostWorkers: 1, sharedFolders: shares });
try {
  const r = await m.run<{ results: StepResult[] }>({
    module: new URL('../programs/script.ts', import.meta.url),
    export: 'run',
    args: script,
  });
  process.stdout.write(JSON.stringify(r.results.map((x) => ({ rc: x.rc, result: x.create?.result }))));
} finally {
  await m.stop();
}
