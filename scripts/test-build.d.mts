// Declarations of scripts/test-build.mjs for the TypeScript that imports it (vitest.config.ts, test setup).

/** The checkout the script belongs to. */
export declare const SOURCE_ROOT: string;
/** Where the JavaScript copies go. */
export declare const BUILT_ROOT: string;
/** The environment variable the runtime reads (src/runtime/modules.ts). */
export declare const TEST_BUILD_VAR: string;
/** Its value for this checkout: source root, path.delimiter, built root. */
export declare const TEST_BUILD_VALUE: string;
/** Bring the test build up to date. */
export declare function buildTestTree(): Promise<{ transformed: number; removed: number }>;
