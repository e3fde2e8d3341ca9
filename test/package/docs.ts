// Reading the docs as the docs test runs them. A fenced block's info string says what it is:
//   ```sh runnable            a shell block run as written (bash -e), in a project that installed the package
//   ```sh runnable=checkout   the same, in a project using the repository's checkout (dev tools at hand)
//   ```js runnable file=F     a file the next runnable shell blocks use, written as F first
//   ```sh                     commands not run (they take minutes or hours): each `npx hgcm` line is parsed
//                             by the command's own argument layer, each `npm` line must name a real script
//   ```                       (no language) an output sample
// `<!-- output of the block above -->` followed by a table: the block's stdout must be that table.
import fs from 'node:fs';
import path from 'node:path';
import { parseCommand, UsageError } from '../../src/cli/kit/args.js';
import type { Command, Delegate, Group } from '../../src/cli/kit/command.js';
import { HGCM } from '../../src/cli/main.js';
import { STRESS } from '../../stress/cli.js';

/** Where a runnable block runs. */
export type Context = 'package' | 'checkout';

/** One fenced block of a Markdown file. */
export interface Block {
  readonly lang: string;
  readonly runnable: Context | undefined;
  readonly file: string | undefined;
  readonly body: string;
  /** The line the block starts on (1-based), for messages. */
  readonly line: number;
  /** The table the block's output must be, when the doc says so. */
  readonly expected: string[] | undefined;
}

/** The fenced blocks of a Markdown text, in order. */
export function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const fence = /^```(\S*)([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) {
    const attrs = m[2]!.trim().split(/\s+/).filter(Boolean);
    const run = attrs.find((a) => a === 'runnable' || a.startsWith('runnable='));
    const after = markdown.slice(fence.lastIndex);
    const next = after.search(/^```/m);
    const between = next < 0 ? after : after.slice(0, next);
    const marker = between.indexOf('<!-- output of the block above -->');
    const expected =
      marker < 0
        ? undefined
        : between
            .slice(marker)
            .split('\n')
            .filter((l) => l.startsWith('|'));
    out.push({
      lang: m[1]!,
      runnable: run === undefined ? undefined : run === 'runnable' ? 'package' : (run.slice(9) as Context),
      file: attrs.find((a) => a.startsWith('file='))?.slice(5),
      body: m[3]!,
      line: markdown.slice(0, m.index).split('\n').length,
      expected,
    });
  }
  return out;
}

/** A table's rows with each cell trimmed (alignment padding is the formatter's, not the content). */
export function tableRows(lines: readonly string[]): string[] {
  return lines
    .filter((l) => l.trim().startsWith('|'))
    .map((l) =>
      l
        .trim()
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .map((c) => (/^:?-+:?$/.test(c) ? '---' : c))
        .join('|'),
    );
}

/** A shell line's words up to a redirection, pipe or comment (no quoting: docs lines do not need it). */
function words(line: string): string[] {
  const cut = line.replace(/\s#.*$/, '').split(/\s[>|]/)[0]!;
  return cut.trim().split(/\s+/).filter(Boolean);
}

function isGroup(c: Command | Delegate | Group): c is Group {
  return 'commands' in c;
}

/** Parse `hgcm` arguments with the command's own specs; a string saying what is wrong, or undefined. */
function checkHgcm(argv: readonly string[]): string | undefined {
  let group: Group = HGCM;
  let args = [...argv];
  for (;;) {
    if (args.includes('--mutate')) args = ['mutate', ...args.filter((a) => a !== '--mutate')];
    const first = args[0];
    const named = first !== undefined && !first.startsWith('-') ? group.commands[first] : undefined;
    const c =
      named ?? (group.defaultCommand === undefined ? undefined : group.commands[group.defaultCommand]);
    if (c === undefined) return `no command ${first ?? ''}`;
    if (named !== undefined) args = args.slice(1);
    if (isGroup(c)) group = c;
    else if ('spec' in c) {
      try {
        parseCommand(c.spec, args);
        return undefined;
      } catch (e) {
        if (e instanceof UsageError) return e.message;
        throw e;
      }
    } else group = STRESS; // the stress delegate: the harness's own group
  }
}

/**
 * Check the commands of a block that is not run: what is wrong with each line, empty when all is well.
 * `scripts` are package.json's.
 */
export function checkCommands(body: string, scripts: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const raw of body.split('\n')) {
    const w = words(raw);
    if (w.length === 0) continue;
    const line = raw.trim();
    for (const part of line
      .replace(/\s#.*$/, '')
      .split('&&')
      .map((p) => words(p))) {
      // `sudo CMD` is checked as CMD (mounting needs root).
      const [tool, sub, ...rest] = part[0] === 'sudo' ? part.slice(1) : part;
      if (tool === 'npx' && sub === 'hgcm') {
        const why = checkHgcm(rest);
        if (why !== undefined) problems.push(`${line}: ${why}`);
      } else if (tool === 'npm') {
        const script = sub === 'run' ? rest[0] : sub;
        const builtin = ['ci', 'install'].includes(sub ?? '');
        if (!builtin && (script === undefined || scripts[script] === undefined))
          problems.push(`${line}: no npm script ${script ?? ''}`);
      } else if (tool === 'git' && sub === 'clone') {
        continue;
      } else if (tool !== 'cd') {
        problems.push(`${line}: not a command the docs test can check`);
      }
    }
  }
  return problems;
}

/** The Markdown files a user reads: the README and docs/. */
export function docFiles(root: string): string[] {
  return [
    'README.md',
    ...fs
      .readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
}

/** Relative link targets of a Markdown text (no scheme, no pure #anchor), without their #anchor. */
export function relativeLinks(markdown: string): string[] {
  const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  return links
    .filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l) && !l.startsWith('#'))
    .map((l) => l.split('#')[0]!);
}
