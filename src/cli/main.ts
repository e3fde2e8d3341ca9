// The `hgcm` command line: a group of commands over one argument layer; `mainCli` is the whole of it, less
// the process (signals, EPIPE, the temporary root: process.ts). A new command is an entry in COMMANDS.
import { benchCommand } from '../../bench/cli.js';
import { dispatch, consoleIo, type Group, type Io } from './kit/index.js';
import { demoCommand } from './demo.js';
import { fsxCommand } from './fsx.js';
import { mountCommand } from './mount.js';
import { packageInfo } from './package-info.js';
import { stressCommand } from './stress.js';
import { traceCommand } from './trace.js';

/** `hgcm` and its commands. */
export const HGCM: Group = {
  name: 'hgcm',
  summary:
    "hgcm-runtime's command: VirtualBox's HGCM call path and Shared Folders run for real on worker threads",
  commands: {
    demo: demoCommand,
    trace: traceCommand,
    fsx: fsxCommand,
    bench: benchCommand,
    mount: mountCommand,
    stress: stressCommand,
  },
  more: () =>
    'hgcm --version prints the version. Results go to stdout; progress, notes and errors to stderr.',
};

/** Run `hgcm` with these arguments; returns the exit code (2: a usage error, printed with the usage). */
export async function mainCli(argv: readonly string[], io: Io = consoleIo): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.out(`hgcm-runtime ${packageInfo().version}`);
    return 0;
  }
  return dispatch(HGCM, argv, io);
}
