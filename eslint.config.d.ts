// The types of eslint.config.js, for the test that reads its layer table (test/lint/layers.test.ts).
import type { Linter } from 'eslint';

/** A row of ARCHITECTURE.md's layer table. */
export interface Layer {
  readonly name: string;
  /** Its folder (or, for the package root, file), relative to the repository root. */
  readonly folder: string;
  /** The surfaces it may import. */
  readonly may: readonly string[];
}

/** Parse the layer table (of ARCHITECTURE.md unless given another text). */
export function readLayers(markdown?: string): Layer[];

declare const config: Linter.Config[];
export default config;
