// The `hgcm` command line: one subcommand per module; `mainCli` is the whole of it, less the process.
import { UsageError } from './args.js';
import { bench } from './bench.js';
import { demo } from './demo.js';
import { fsxCommand } from './fsx.js';
import { mountCommand } from './mount.js';
import { stress } from './stress.js';
import { trace } from './trace.js';

const commands: Readonly<
  Record<string, { run: (argv: readonly string[]) => Promise<number>; help: string }>
> = {
  demo: {
    run: demo,
    help: 'hgcm demo [--vcpus N] [--ops N] [--trace file.json]   the main job (npm start): a mixed workload, its invariants and its trace',
  },
  bench: {
    run: bench,
    help: "hgcm bench [suite...] [--quick] [--json] [--repeat N] [--compare old.json] [--spin S] [--device D] [--trace F]   measure the call path against the machine's limits and peers (npm run bench)",
  },
  fsx: {
    run: fsxCommand,
    help: 'hgcm fsx [--ops N] [--seed S] [--vcpus V] [--len BYTES] [--oplen BYTES] [--io linaddr|pagelist|nobounce|mixed] [--keep]   fsx through the Shared Folders path, one file per vCPU',
  },
  mount: {
    run: mountCommand,
    help: 'hgcm mount <hostDir> <mountpoint> [--vcpus N] [--readonly] [--flavor F] [--old-host] [--trace F] [--host-delay MS] [--ttl MS]   mount a host directory through FUSE, served by the guest (root; Ctrl-C unmounts)',
  },
  stress: {
    run: stress,
    help: 'hgcm stress [run|explore|replay|shrink|mutate] [options]   the cancel-race harness (hgcm stress --help)',
  },
  trace: {
    run: trace,
    help: "hgcm trace <write|read|echo|cancel|fuse> [--bytes N] [--old-host] [--all] [--points] [--out file.json] [--cmd 'sh script using $M']   the path of a call (or of a real program's FUSE requests), as a tree and a Chrome trace",
  },
};

/** Run `hgcm` with these arguments; returns the exit code (2: a usage error, printed with the usage). */
export async function mainCli(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const cmd = name === undefined ? undefined : commands[name];
  if (cmd === undefined) {
    console.log(
      `usage: hgcm <command> [options]\n\n${Object.values(commands)
        .map((c) => `  ${c.help}`)
        .join('\n')}`,
    );
    return name === undefined || name === 'help' || name === '--help' ? 0 : 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: ${cmd.help}`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    // Bad options (node:util parseArgs) and bad values (UsageError) end with the usage, not a stack.
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      console.error(`hgcm ${name}: ${(e as Error).message}\nusage: ${cmd.help}`);
      return 2;
    }
    throw e;
  }
}
