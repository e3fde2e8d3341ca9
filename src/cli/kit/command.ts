// Commands and groups of commands over the argument layer (args.ts): `hgcm` is a group (demo, trace,
// fsx, bench, stress), `hgcm stress` another (run, explore, replay, shrink, mutate). A command is its
// spec and its run function; adding one is a spec and an entry in its group's table.
import {
  helpText,
  parseCommand,
  synopsis,
  UsageError,
  type CommandSpec,
  type Options,
  type Parsed,
} from './args.js';

/** Where a command prints: `out` its results (stdout), `err` progress, notes and errors (stderr). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** The console: results on stdout, the rest on stderr. */
export const consoleIo: Io = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** A command: what it accepts and what it does with it; returns the exit code. */
export interface Command<O extends Options = Options> {
  readonly spec: CommandSpec<O>;
  run(args: Parsed<O>, io: Io): Promise<number>;
}

/** A command that parses its own arguments (one loaded from elsewhere, such as the stress harness). */
export interface Delegate {
  readonly summary: string;
  /** The synopsis shown in the group's list. */
  readonly usage: string;
  run(argv: readonly string[], io: Io): Promise<number>;
}

/** A named set of commands, chosen by the first argument. */
export interface Group {
  readonly name: string;
  readonly summary: string;
  readonly commands: Readonly<Record<string, Command | Delegate | Group>>;
  /** The command run when the first argument is an option or absent. */
  readonly defaultCommand?: string;
  /** More --help text after the list. */
  readonly more?: () => string;
}

/** Types a command's run function by its spec's options. */
export function defineCommand<O extends Options>(
  spec: CommandSpec<O>,
  run: (args: Parsed<O>, io: Io) => Promise<number>,
): Command<O> {
  return { spec, run };
}

function isGroup(c: Command | Delegate | Group): c is Group {
  return 'commands' in c;
}

function isDelegate(c: Command | Delegate | Group): c is Delegate {
  return !('spec' in c) && !('commands' in c);
}

/** A group's --help: each command's synopsis and summary, then the default command's options. */
export function groupHelp(g: Group): string {
  const rows = Object.entries(g.commands).map(([name, c]) => {
    const usage = isGroup(c)
      ? `${g.name} ${name} <command> [options]`
      : isDelegate(c)
        ? c.usage
        : synopsis(c.spec);
    return [usage, isGroup(c) || isDelegate(c) ? c.summary : c.spec.summary];
  });
  const lines = [`usage: ${g.name} <command> [options]`, '', g.summary, '', 'commands:'];
  for (const [usage, summary] of rows) lines.push(`  ${usage}`, `      ${summary}`);
  lines.push('', `${g.name} <command> --help prints a command's options, each with its default.`);
  const d = g.defaultCommand === undefined ? undefined : g.commands[g.defaultCommand];
  if (d !== undefined && !isGroup(d) && !isDelegate(d))
    lines.push('', `Without a command, ${g.name} runs ${g.defaultCommand}:`, '', helpText(d.spec));
  const more = g.more?.();
  if (more !== undefined && more !== '') lines.push('', more);
  return lines.join('\n');
}

/** Parse and run one command; a usage error prints the message and the usage on stderr (exit 2). */
export async function runCommand(c: Command, argv: readonly string[], io: Io): Promise<number> {
  let parsed: Parsed<Options> | undefined;
  try {
    parsed = parseCommand(c.spec, argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`${c.spec.name}: ${e.message}\n\n${helpText(c.spec)}`);
    return 2;
  }
  if (parsed === undefined) {
    io.out(helpText(c.spec));
    return 0;
  }
  try {
    return await c.run(parsed, io);
  } catch (e) {
    // A value only the command can judge (a file that does not parse, a suite that does not exist).
    if (!(e instanceof UsageError)) throw e;
    io.err(`${c.spec.name}: ${e.message}\n\n${helpText(c.spec)}`);
    return 2;
  }
}

/** Run the command of `g` that `argv` names. */
export async function dispatch(g: Group, argv: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help' || (first === undefined && g.defaultCommand === undefined)) {
    io.out(groupHelp(g));
    return 0;
  }
  const named = first !== undefined && !first.startsWith('-') ? g.commands[first] : undefined;
  const byDefault = named === undefined && (first === undefined || first.startsWith('-'));
  const c = named ?? (byDefault && g.defaultCommand !== undefined ? g.commands[g.defaultCommand] : undefined);
  if (c === undefined) {
    const why = byDefault ? 'give a command first' : `no command ${JSON.stringify(first)}`;
    io.err(`${g.name}: ${why}\n\n${groupHelp(g)}`);
    return 2;
  }
  const args = named !== undefined ? rest : argv;
  if (isGroup(c)) return dispatch(c, args, io);
  if (isDelegate(c)) return c.run(args, io);
  return runCommand(c, args, io);
}
