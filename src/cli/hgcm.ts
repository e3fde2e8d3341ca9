#!/usr/bin/env node
// The `hgcm` command line: one subcommand per module.
import { bench } from './bench.js';
import { demo } from './demo.js';

const commands: Readonly<
  Record<string, { run: (argv: readonly string[]) => Promise<number>; help: string }>
> = {
  demo: { run: demo, help: 'hgcm demo [vcpus]   start a machine and run a mixed workload (npm start)' },
  bench: {
    run: bench,
    help: 'hgcm bench [suite...] [--quick] [--json] [--compare old.json]   measure the call path (npm run bench)',
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
