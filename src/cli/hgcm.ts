#!/usr/bin/env node
// The `hgcm` command line: one subcommand per module.
import { demo } from './demo.js';
import { fsxCommand } from './fsx.js';
import { trace } from './trace.js';

const commands: Readonly<
  Record<string, { run: (argv: readonly string[]) => Promise<number>; help: string }>
> = {
  demo: {
    run: demo,
    help: 'hgcm demo [--vcpus N] [--ops N] [--trace file.json]   the main job (npm start): a mixed workload, its invariants and its trace',
  },
  fsx: {
    run: fsxCommand,
    help: 'hgcm fsx [--ops N] [--seed S] [--vcpus V]   fsx through the Shared Folders path, one file per vCPU',
  },
  trace: {
    run: trace,
    help: 'hgcm trace <write|read|echo|cancel> [--bytes N] [--old-host] [--all] [--points] [--out file.json]   the path of a call, as a tree and a Chrome trace',
  },
};

async function mainCli(argv: readonly string[]): Promise<number> {
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
  return cmd.run(rest);
}

process.exitCode = await mainCli(process.argv.slice(2));
