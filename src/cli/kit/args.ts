// The argument layer of every `hgcm` command and subcommand: a command declares its options as data
// (name, help, value, default, how to read it), and one parser built on node:util parseArgs reads them,
// so every command has the same --help (each option with its default), the same usage errors (exit 2)
// and typed values. stress/args.ts declares the harness's subcommands with it.
import { parseArgs } from 'node:util';

/** A bad command line: the command prints it with its usage and exits 2. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

/** One option: how it reads, and what --help says about it. */
export interface Option<T> {
  /** One line for --help. */
  readonly help: string;
  /** The value's placeholder in --help (N, FILE); absent for a flag, which takes no value. */
  readonly arg?: string;
  /** A one-letter alias. */
  readonly short?: string;
  /** The default as --help shows it. */
  readonly defaultText: string;
  /** The value: from the option's text, or the default when the option is absent (`text` undefined). */
  read(text: string | undefined, flag: string): T;
  /** A repeatable option (`list`): the value from every occurrence's text, in order (none: empty). */
  readMany?(texts: readonly string[], flag: string): T;
}

/** A command's options by name (the name is the long flag without its dashes). */
export type Options = Readonly<Record<string, Option<unknown>>>;

/** The values of a command's options, typed by their declarations. */
export type Values<O extends Options> = {
  -readonly [K in keyof O]: O[K] extends Option<infer T> ? T : never;
};

/** What a command line names besides options. */
export interface Positionals {
  /** What one is called in messages ("operation", "suite"). */
  readonly name?: string;
  /** As --help shows them, e.g. "[suite...]" or "<write|read|echo|cancel>". */
  readonly usage: string;
  readonly min?: number;
  readonly max?: number;
  /** Every positional must be one of these. */
  readonly choices?: readonly string[];
}

/** A command's declaration: what --help prints and what the parser accepts. */
export interface CommandSpec<O extends Options = Options> {
  /** The command as typed, e.g. "hgcm demo" or "hgcm stress replay". */
  readonly name: string;
  /** What it does, one line (also the line in its parent's command list). */
  readonly summary: string;
  readonly positionals?: Positionals;
  readonly options: O;
  /** More --help text after the options (lists of suites, notes, examples). */
  readonly more?: () => string;
}

/** A parsed command line. */
export interface Parsed<O extends Options> {
  readonly values: Values<O>;
  readonly positionals: readonly string[];
  /** The arguments as given (for a record of the command line, such as a benchmark's header). */
  readonly argv: readonly string[];
}

/** A flag: true when given, false otherwise. */
export function flag(help: string, short?: string): Option<boolean> {
  return {
    help,
    defaultText: 'off',
    ...(short === undefined ? {} : { short }),
    read: (t) => t !== undefined,
  };
}

/** An integer in [min, max]: decimal, or 0x hex where `hex` is set. */
interface IntSpec {
  readonly min: number;
  readonly max: number;
  readonly arg?: string;
  readonly hex?: boolean;
}

function readInt(text: string, flag: string, o: IntSpec): number {
  const t = text.trim();
  const v =
    o.hex === true && /^0x[0-9a-f]+$/i.test(t)
      ? Number.parseInt(t.slice(2), 16)
      : /^-?\d+$/.test(t)
        ? Number(t)
        : NaN;
  if (!Number.isSafeInteger(v) || v < o.min || v > o.max)
    throw new UsageError(
      `${flag} must be an integer from ${o.min} to ${o.max} (got ${JSON.stringify(text)})`,
    );
  return v;
}

/** An integer option; with `default` (a value, or a function of the moment of parsing) it always has one. */
export function int(
  help: string,
  o: IntSpec & { readonly default: number | (() => number); readonly defaultText?: string },
): Option<number>;
export function int(help: string, o: IntSpec & { readonly defaultText?: string }): Option<number | undefined>;
export function int(
  help: string,
  o: IntSpec & { readonly default?: number | (() => number); readonly defaultText?: string },
): Option<number | undefined> {
  const d = o.default;
  return {
    help,
    arg: o.arg ?? 'N',
    defaultText: o.defaultText ?? (typeof d === 'number' ? String(d) : 'none'),
    read: (t, f) => (t === undefined ? (typeof d === 'function' ? d() : d) : readInt(t, f, o)),
  };
}

/** One of a fixed set of words; a long set is listed in the help rather than as the value's placeholder. */
export function choice<C extends string>(help: string, choices: readonly C[], dflt: C): Option<C>;
export function choice<C extends string>(
  help: string,
  choices: readonly C[],
  dflt?: undefined,
  defaultText?: string,
): Option<C | undefined>;
export function choice<C extends string>(
  help: string,
  choices: readonly C[],
  dflt?: C,
  defaultText?: string,
): Option<C | undefined> {
  const words = choices.join('|');
  const short = words.length <= 16;
  return {
    help: short ? help : `${help}: ${choices.join(', ')}`,
    arg: short ? words : 'NAME',
    defaultText: dflt ?? defaultText ?? 'none',
    read(t, f) {
      if (t === undefined) return dflt;
      if (!(choices as readonly string[]).includes(t))
        throw new UsageError(`${f} must be one of ${choices.join(', ')} (got ${JSON.stringify(t)})`);
      // SAFETY: t is one of `choices`, which are Cs.
      return t as C;
    },
  };
}

/** Free text (a file name, a list parsed later). */
export function text(help: string, o: { readonly arg: string; readonly default: string }): Option<string>;
export function text(
  help: string,
  o: { readonly arg: string; readonly defaultText?: string },
): Option<string | undefined>;
export function text(
  help: string,
  o: { readonly arg: string; readonly default?: string; readonly defaultText?: string },
): Option<string | undefined> {
  return {
    help,
    arg: o.arg,
    defaultText: o.defaultText ?? o.default ?? 'none',
    read: (t, f) => {
      if (t === '') throw new UsageError(`${f} needs a value`);
      return t ?? o.default;
    },
  };
}

/** A value read by `parse` (which throws UsageError for bad text); `fallback` when absent. */
export function custom<T>(
  help: string,
  o: {
    readonly arg: string;
    readonly parse: (text: string, flag: string) => T;
    readonly defaultText: string;
  },
  fallback: () => T,
): Option<T> {
  return {
    help,
    arg: o.arg,
    defaultText: o.defaultText,
    read: (t, f) => (t === undefined ? fallback() : o.parse(t, f)),
  };
}

/** A repeatable option (`--share A --share B`): each occurrence read by `parse`; none when absent. */
export function list<T>(
  help: string,
  o: { readonly arg: string; readonly parse: (text: string, flag: string) => T },
): Option<T[]> {
  return {
    help: `${help} (repeatable)`,
    arg: o.arg,
    defaultText: 'none',
    read: (t, f) => (t === undefined ? [] : [o.parse(t, f)]),
    readMany: (ts, f) => ts.map((t) => o.parse(t, f)),
  };
}

/**
 * Parse `argv` against `spec`. Returns undefined when -h/--help was given (the caller prints helpText);
 * throws UsageError for an unknown option, a missing or extra value, or a value its option rejects.
 */
export function parseCommand<O extends Options>(
  spec: CommandSpec<O>,
  argv: readonly string[],
): Parsed<O> | undefined {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(spec.options))
    config[name] = {
      type: o.arg === undefined ? 'boolean' : 'string',
      ...(o.short === undefined ? {} : { short: o.short }),
      ...(o.readMany === undefined ? {} : { multiple: true }),
    };
  let raw: {
    values: Record<string, string | boolean | (string | boolean)[] | undefined>;
    positionals: string[];
  };
  try {
    raw = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: true });
  } catch (e) {
    // node:util's errors (ERR_PARSE_ARGS_*) say what was wrong; they are the user's, not ours.
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
  if (raw.values.help === true) return undefined;
  const p = spec.positionals;
  const pos = raw.positionals;
  if (pos.length < (p?.min ?? 0)) throw new UsageError(`missing ${p?.usage ?? 'arguments'}`);
  if (pos.length > (p?.max ?? (p === undefined ? 0 : Infinity)))
    throw new UsageError(`unexpected argument ${JSON.stringify(pos[p?.max ?? 0])}`);
  for (const a of pos)
    if (p?.choices !== undefined && !p.choices.includes(a))
      throw new UsageError(`unknown ${p.name ?? 'argument'} ${a} (one of ${p.choices.join(', ')})`);
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const v = raw.values[name];
    if (o.readMany !== undefined)
      values[name] = o.readMany(Array.isArray(v) ? v.map(String) : [], `--${name}`);
    else values[name] = o.read(v === undefined ? undefined : v === true ? '' : String(v), `--${name}`);
  }
  // SAFETY: every key of spec.options was read by its own Option, whose type Values<O> names.
  return { values: values as Values<O>, positionals: pos, argv: [...argv] };
}

/** The synopsis line: `hgcm demo [options] <args>`. */
export function synopsis(spec: CommandSpec): string {
  const opts = Object.keys(spec.options).length > 0 ? ' [options]' : '';
  return `${spec.name}${opts}${spec.positionals === undefined ? '' : ` ${spec.positionals.usage}`}`;
}

/** --help: the synopsis, the summary, every option with its value and default, then `more`. */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, o]) => [
    `${o.short === undefined ? '    ' : `-${o.short}, `}--${name}${o.arg === undefined ? '' : ` ${o.arg}`}`,
    `${o.help} (default: ${o.defaultText})`,
  ]);
  rows.push(['-h, --help', 'print this help and exit']);
  const width = Math.max(...rows.map(([a]) => a!.length));
  const lines = [`usage: ${synopsis(spec)}`, '', spec.summary, '', 'options:'];
  for (const [a, b] of rows) lines.push(`  ${a!.padEnd(width)}  ${b}`);
  const more = spec.more?.();
  if (more !== undefined && more !== '') lines.push('', more);
  return lines.join('\n');
}
