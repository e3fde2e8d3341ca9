// Command-line options of `hgcm stress`: parsed once into typed values, with errors a user can act on.
import { FAULT_NAMES, type FaultName } from '../src/runtime/index.js';
import type { GuestFlavorName } from '../src/vcpu/index.js';
import type { ProfileName, StrategyName } from './run-spec.js';

/** Raised for a bad command line (exit code 2). */
export class UsageError extends Error {
  readonly code = 'STRESS_USAGE';
}

/** Options and positional arguments, as given. */
export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string>;
}

const BOOLEAN = new Set(['mutate', 'quiet', 'help', 'all-mutations']);

/** Split argv into `--name value` / `--name=value` flags and positional arguments. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (BOOLEAN.has(name)) flags.set(name, 'true');
    else {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
    }
  }
  return { positional, flags };
}

/** Typed getters over parsed flags. */
export class Options {
  private readonly f: Map<string, string>;
  private readonly used = new Set<string>();

  constructor(p: ParsedArgs) {
    this.f = p.flags;
  }

  private raw(name: string): string | undefined {
    this.used.add(name);
    return this.f.get(name);
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  string(name: string, dflt: string): string {
    return this.raw(name) ?? dflt;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  /** A non-negative integer, decimal or 0x hex. */
  int(name: string, dflt: number): number {
    const v = this.raw(name);
    if (v === undefined) return dflt;
    const n = v.startsWith('0x') ? Number.parseInt(v.slice(2), 16) : Number(v);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new UsageError(`--${name} must be a non-negative integer, got ${v}`);
    return n;
  }

  /** A seed: decimal or 0x hex, 32 bits. */
  seed(): number {
    return this.int('seed', 0x5eed) >>> 0;
  }

  /** --duration 90 / 90s / 10m / 2h, in ms. */
  duration(): number | undefined {
    const v = this.raw('duration');
    if (v === undefined) return undefined;
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v);
    if (m === null) throw new UsageError(`--duration takes 90s, 10m, 2h (got ${v})`);
    const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
    return Number(m[1]) * scale;
  }

  /** --shard i/n. */
  shard(): { index: number; count: number } {
    const v = this.raw('shard') ?? '0/1';
    const m = /^(\d+)\/(\d+)$/.exec(v);
    const index = Number(m?.[1]);
    const count = Number(m?.[2]);
    if (m === null || count < 1 || index >= count)
      throw new UsageError(`--shard takes i/n with 0 <= i < n (got ${v})`);
    return { index, count };
  }

  strategy(): StrategyName {
    const v = this.string('strategy', 'mix');
    if (!['random', 'pct:1', 'pct:2', 'pct:3', 'mix'].includes(v))
      throw new UsageError(`--strategy is one of mix, random, pct:1, pct:2, pct:3 (got ${v})`);
    return v as StrategyName;
  }

  profile(): ProfileName {
    const v = this.string('profile', 'mix');
    if (!['mix', 'realistic', 'any-order'].includes(v))
      throw new UsageError(`--profile is one of mix, realistic, any-order (got ${v})`);
    return v as ProfileName;
  }

  faults(): FaultName[] {
    const v = this.raw('fault');
    if (v === undefined || v === '') return [];
    return v.split(',').map((f) => {
      if (!(FAULT_NAMES as readonly string[]).includes(f))
        throw new UsageError(`unknown fault ${f} (known: ${FAULT_NAMES.join(', ')})`);
      return f as FaultName;
    });
  }

  flavor(): GuestFlavorName | undefined {
    const v = this.raw('flavor');
    if (v !== undefined && !['linux', 'vbox-7.0', 'vbox-trunk'].includes(v))
      throw new UsageError(`--flavor is one of linux, vbox-7.0, vbox-trunk (got ${v})`);
    return v as GuestFlavorName | undefined;
  }

  leakScope(): 'strict' | 'faithful' | undefined {
    const v = this.raw('leak');
    if (v !== undefined && v !== 'strict' && v !== 'faithful')
      throw new UsageError(`--leak is strict or faithful (got ${v})`);
    return v;
  }

  executor(): 'sim' | 'threads' {
    const v = this.string('executor', 'sim');
    if (v !== 'sim' && v !== 'threads') throw new UsageError(`--executor is sim or threads (got ${v})`);
    return v;
  }

  /** Flags given but never read: most likely a typo. */
  unused(): string[] {
    return [...this.f.keys()].filter((k) => !this.used.has(k));
  }
}
