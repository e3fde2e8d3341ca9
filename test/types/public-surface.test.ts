// The package's public surface is nameable: every class, interface or type alias of ours that a public
// signature reaches (a member's type, a parameter, a return value, transitively) is exported from one of
// the package's entry points, so a user can write `let h: GuestHeap` instead of ReturnType gymnastics. The
// error classes are exported as values, so `instanceof` works. Read with the TypeScript compiler API.
import path from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';
import * as api from '../../src/index.js';

const root = path.resolve(import.meta.dirname, '../..');
/** The package's entry points ("exports" in package.json): ".", "./abi", "./service". */
const ENTRIES = ['src/index.ts', 'src/abi/index.ts', 'src/hgcm/service-api.ts'];

/** Our types reachable from the entries' exports but not exported, each with the path that reaches it. */
function unnamedTypes(): Map<string, string> {
  const files = ENTRIES.map((e) => path.join(root, e));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const real = (s: ts.Symbol): ts.Symbol =>
    s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  const exported = new Set<ts.Symbol>();
  /** Exported as values too (not `export type`): their constructors and statics are public. */
  const values = new Set<ts.Symbol>();
  for (const f of files) {
    const mod = checker.getSymbolAtLocation(program.getSourceFile(f)!)!;
    for (const s of checker.getExportsOfModule(mod)) {
      const r = real(s);
      exported.add(r);
      const decl = s.declarations?.[0];
      if (decl === undefined || !ts.isTypeOnlyImportOrExportDeclaration(decl)) values.add(r);
      // `export * as abi`: its members are named through the namespace.
      if (r.flags & ts.SymbolFlags.ValueModule)
        for (const m of checker.getExportsOfModule(r)) exported.add(real(m));
    }
  }
  const ours = (s: ts.Symbol): boolean =>
    s.declarations?.some((d) => d.getSourceFile().fileName.startsWith(path.join(root, 'src') + path.sep)) ??
    false;
  const hidden = (d: ts.Declaration | undefined): boolean =>
    d !== undefined &&
    ((ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 ||
      ('name' in d && d.name !== undefined && ts.isPrivateIdentifier(d.name as ts.Node)));
  const NAMED = ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias;
  const missing = new Map<string, string>();
  const seen = new Set<ts.Type>();

  const named = (sym: ts.Symbol | undefined, via: string): void => {
    if (sym === undefined) return;
    const s = real(sym);
    if (!ours(s) || (s.flags & NAMED) === 0 || exported.has(s) || missing.has(s.name)) return;
    missing.set(s.name, via);
  };
  const signature = (sig: ts.Signature, via: string): void => {
    if (hidden(sig.declaration as ts.Declaration | undefined)) return;
    for (const p of sig.getParameters()) visit(checker.getTypeOfSymbol(p), `${via}(${p.name})`);
    for (const tp of sig.getTypeParameters() ?? []) {
      const c = tp.getConstraint();
      if (c !== undefined) visit(c, via);
    }
    visit(sig.getReturnType(), `${via}()`);
  };
  const visit = (t: ts.Type, via: string): void => {
    if (seen.has(t)) return;
    seen.add(t);
    if (t.aliasSymbol !== undefined) {
      named(t.aliasSymbol, via);
      for (const a of t.aliasTypeArguments ?? []) visit(a, via);
    }
    if (t.isUnionOrIntersection()) {
      for (const u of t.types) visit(u, via);
      return;
    }
    if (t.symbol !== undefined) named(t.symbol, via);
    if ((t.flags & ts.TypeFlags.Object) === 0) return;
    if ((t as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference)
      for (const a of checker.getTypeArguments(t as ts.TypeReference)) visit(a, via);
    // Library and Node types (Promise, Worker) are not walked into: only ours and anonymous shapes.
    const owner = t.symbol === undefined ? undefined : real(t.symbol);
    const anonymous =
      owner !== undefined &&
      (owner.flags & (ts.SymbolFlags.TypeLiteral | ts.SymbolFlags.ObjectLiteral)) !== 0;
    if (owner !== undefined && !ours(owner) && !anonymous) return;
    for (const p of checker.getPropertiesOfType(t)) {
      if (hidden(p.valueDeclaration ?? p.declarations?.[0])) continue;
      visit(checker.getTypeOfSymbol(p), `${via}.${p.name}`);
    }
    for (const s of t.getCallSignatures()) signature(s, via);
    for (const s of t.getConstructSignatures()) signature(s, `new ${via}`);
    for (const i of checker.getIndexInfosOfType(t)) visit(i.type, `${via}[key]`);
  };

  for (const s of exported) {
    if (!ours(s)) continue;
    if (s.flags & NAMED) visit(checker.getDeclaredTypeOfSymbol(s), s.name);
    if (s.flags & ts.SymbolFlags.Value && values.has(s)) visit(checker.getTypeOfSymbol(s), s.name);
  }
  return missing;
}

test('every type a public signature reaches is exported from an entry point', () => {
  const missing = [...unnamedTypes()].map(([name, via]) => `${name} (reached by ${via})`);
  expect(missing).toEqual([]);
}, 120_000);

test('the error classes are exported, with their codes, so instanceof and code both work', () => {
  const classes = [
    [api.ConfigError, 'ERR_CONFIG'],
    [api.GuestFsError, 'ERR_GUEST_FS'],
    [api.GuestMemoryError, 'ERR_GUEST_MEMORY'],
    [api.HeapError, 'ERR_HEAP'],
    [api.InvariantError, 'ERR_INVARIANT'],
    [api.MachineStateError, 'ERR_MACHINE_STATE'],
    [api.WorkerError, 'ERR_WORKER'],
  ] as const;
  for (const [cls, code] of classes) {
    // SAFETY: each constructor's first argument is a string; the others are not needed to check the code.
    const e = new (cls as unknown as new (...a: unknown[]) => api.HgcmError)('x', 'y', 1, 2, 3);
    expect(e, cls.name).toBeInstanceOf(api.HgcmError);
    expect(e, cls.name).toBeInstanceOf(Error);
    expect(e.code, cls.name).toBe(code);
  }
});
