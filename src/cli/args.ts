// Option values for the `hgcm` subcommands: parsed strictly, so a typo is a usage error, not a NaN.
import { resolve } from 'node:path';

/** A bad option value; `hgcm` prints it with the command's usage and exits 2. */
export class UsageError extends Error {}

/** An integer option in [min, max]. */
export function intOption(name: string, text: string | undefined, min: number, max: number): number;
export function intOption(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback: number,
): number;
export function intOption(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback?: number,
): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const v = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return v;
}

/** A share given as NAME=DIR (the directory made absolute against the current one). */
export function shareOption(name: string, text: string): { name: string; hostPath: string } {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1)
    throw new UsageError(`--${name} must be NAME=DIR (got ${JSON.stringify(text)})`);
  return { name: text.slice(0, at), hostPath: resolve(text.slice(at + 1)) };
}
