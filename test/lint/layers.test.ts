// The layer order: ARCHITECTURE.md's layer table is the one statement of it, eslint.config.js reads it,
// and an import a layer is not allowed fails lint (ESLint's Node API on probe files placed in the layers).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';
import { readLayers } from '../../eslint.config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: root });

/** The layer rule's messages for `code` as if it were the file `file`. */
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return r!.messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message);
}

describe('the layer table', () => {
  const layers = readLayers();

  test('every folder under src/ belongs to a layer, and every layer folder exists (src/fuse: issue 12)', () => {
    const folders = layers.map((l) => l.folder);
    const dirs: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(path.join(root, d))) {
        const rel = `${d}/${e}`;
        if (statSync(path.join(root, rel)).isDirectory()) {
          dirs.push(rel);
          walk(rel);
        }
      }
    };
    walk('src');
    const orphans = dirs.filter((d) => !folders.some((f) => d === f || d.startsWith(`${f}/`)));
    expect(orphans).toEqual([]);
    const missing = folders.filter((f) => {
      try {
        statSync(path.join(root, f));
        return false;
      } catch {
        return true;
      }
    });
    expect(missing.filter((f) => f !== 'src/fuse')).toEqual([]);
  });

  test('the order has no cycle: each layer imports only layers listed before it', () => {
    // A surface `x/y` is the layer named `x/y` where there is one (cli/kit), else a file of layer `x`.
    const names = new Set(layers.map((l) => l.name));
    const layerOfSurface = (s: string): string => (names.has(s) ? s : s.split('/')[0]!);
    const seen = new Set<string>();
    for (const l of layers) {
      for (const s of l.may)
        expect(seen.has(layerOfSurface(s)) || s === 'hgcm/service-api', `${l.name} -> ${s}`).toBe(true);
      seen.add(l.name);
    }
  });
});

describe('layers/imports: an import outside the layer table fails lint', () => {
  test('a lower layer importing a higher one: vcpu -> vmmdev', async () => {
    const errors = await layerErrors(
      'src/vcpu/probe.ts',
      "export { DeviceBus } from '../vmmdev/index.js';\n",
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('vcpu may not import src/vmmdev/index.ts');
  });

  test('an allowed layer, but a file behind its surface: vcpu -> runtime/proc.ts', async () => {
    expect(
      await layerErrors('src/vcpu/probe.ts', "export { point } from '../runtime/proc.js';\n"),
    ).toHaveLength(1);
    expect(await layerErrors('src/vcpu/probe.ts', "export { point } from '../runtime/index.js';\n")).toEqual(
      [],
    );
  });

  test('type-only imports count too: vbsf may use only the service surface of hgcm', async () => {
    const deep = "import type { SvcCall } from '../hgcm/service.js';\nexport type X = SvcCall;\n";
    const surface = "import type { SvcCall } from '../hgcm/index.js';\nexport type X = SvcCall;\n";
    const api = "import type { SvcCall } from '../hgcm/service-api.js';\nexport type X = SvcCall;\n";
    expect(await layerErrors('src/vbsf/probe.ts', deep)).toHaveLength(1);
    expect(await layerErrors('src/vbsf/probe.ts', surface)).toHaveLength(1);
    expect(await layerErrors('src/vbsf/probe.ts', api)).toEqual([]);
    expect(await layerErrors('src/hgcm/services/probe.ts', surface.replace('../', '../../'))).toHaveLength(1);
  });

  test('a layer inside another folder is its own: runtime may not import runtime/iprt', async () => {
    expect(
      await layerErrors('src/runtime/probe.ts', "export { rtFileClose } from './iprt/index.js';\n"),
    ).toHaveLength(1);
    expect(
      await layerErrors('src/vbsf/probe.ts', "export { rtFileClose } from '../runtime/iprt/index.js';\n"),
    ).toEqual([]);
  });

  test('the tools beside src/ are covered: stress may not reach into the host half, cli not into the device', async () => {
    expect(
      await layerErrors('stress/probe.ts', "export { HostWorker } from '../src/host/index.js';\n"),
    ).toHaveLength(1);
    expect(await layerErrors('bench/probe.ts', "export { Sim } from '../src/sim/index.js';\n")).toHaveLength(
      1,
    );
    expect(
      await layerErrors('src/cli/probe.ts', "export { MAX_VCPUS } from '../vmmdev/index.js';\n"),
    ).toHaveLength(1);
    expect(
      await layerErrors('src/cli/probe.ts', "export { MAX_VCPUS } from '../machine/index.js';\n"),
    ).toEqual([]);
    expect(
      await layerErrors('src/programs/probe.ts', "export { Machine } from '../machine/index.js';\n"),
    ).toHaveLength(1);
  });

  test('within a layer files import one another; a dynamic import is checked like a static one', async () => {
    expect(await layerErrors('src/vmmdev/probe.ts', "export { CmdField } from './commands.js';\n")).toEqual(
      [],
    );
    expect(
      await layerErrors('src/vcpu/probe.ts', "export const m = import('../host/index.js');\n"),
    ).toHaveLength(1);
  });

  test("a protocol's fault-steps.ts may take only types from the protocol files that import it", async () => {
    const [r] = await eslint.lintText(
      "import { cancelCall } from './hgcm-cancel.js';\nexport const x = cancelCall;\n",
      {
        filePath: path.join(root, 'src/vcpu/fault-steps.ts'),
      },
    );
    expect(r!.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  });
});
