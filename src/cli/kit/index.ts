// The argument layer every command line of the project is built on (hgcm, hgcm bench, hgcm stress):
// options declared as data over node:util parseArgs, commands and groups of them, aligned tables.
export {
  UsageError,
  choice,
  custom,
  flag,
  helpText,
  int,
  list,
  parseCommand,
  synopsis,
  text,
} from './args.js';
export type { CommandSpec, Option, Options, Parsed, Positionals, Values } from './args.js';
export { consoleIo, defineCommand, dispatch, groupHelp, runCommand } from './command.js';
export type { Command, Delegate, Group, Io } from './command.js';
export { alignTables } from './table.js';
