// Option values for the `hgcm` subcommands: parsed strictly, so a typo is a usage error, not a NaN.

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
