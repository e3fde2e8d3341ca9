// The front's node table and file table without threads: lookup counts kept exactly (entered per entry
// reply, dropped by FORGET, freed at zero), the same node for the same name, rename and unlink as the
// kernel sees them, paths as vboxsf builds them, stale fh values refused.
import { describe, expect, test } from 'vitest';
import { FileTable } from '../../src/fuse/files.js';
import { NodeTable, NodeType, ROOT_NODE } from '../../src/fuse/nodes.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

describe('NodeTable', () => {
  test('the same name is the same node; lookups are counted and a node goes at zero', () => {
    const nodes = NodeTable.attach(NodeTable.create(16));
    expect(nodes.live).toBe(1);
    expect(dec(nodes.path(ROOT_NODE))).toBe('/');
    const a = nodes.enter(ROOT_NODE, enc('a'), NodeType.DIR)!;
    const again = nodes.enter(ROOT_NODE, enc('a'), NodeType.DIR)!;
    expect(again).toEqual(a);
    expect(nodes.lookups(a.node)).toBe(2);
    const b = nodes.enter(a.node, enc('b.txt'), NodeType.FILE)!;
    expect(dec(nodes.path(b.node))).toBe('/a/b.txt');
    expect(dec(nodes.path(a.node, enc('c')))).toBe('/a/c');
    expect(nodes.forget(a.node, 1)).toBe(true);
    expect(nodes.valid(BigInt(a.node))).toBe(true);
    expect(nodes.forget(a.node, 1)).toBe(true);
    expect(nodes.valid(BigInt(a.node))).toBe(false);
    // A node id whose slot comes back names a new node: a new generation.
    const fresh = nodes.enter(ROOT_NODE, enc('z'), NodeType.FILE)!;
    expect(fresh.node).toBe(a.node);
    expect(fresh.gen).toBe(a.gen + 1);
    expect(nodes.forget(ROOT_NODE, 5)).toBe(true);
    expect(nodes.valid(1n)).toBe(true);
  });

  test('unlink and rename move names, not lookups', () => {
    const nodes = NodeTable.attach(NodeTable.create(16));
    const d = nodes.enter(ROOT_NODE, enc('d'), NodeType.DIR)!;
    const f = nodes.enter(d.node, enc('f'), NodeType.FILE)!;
    const t = nodes.enter(ROOT_NODE, enc('target'), NodeType.FILE)!;
    expect(nodes.typeAt(d.node, enc('f'))).toBe(NodeType.FILE);
    // rename d/f over /target: f is now /target, the old target is out of the hash but still held.
    expect(nodes.rename(d.node, enc('f'), ROOT_NODE, enc('target'))).toBe(true);
    expect(dec(nodes.path(f.node))).toBe('/target');
    expect(nodes.enter(ROOT_NODE, enc('target'), NodeType.FILE)!.node).toBe(f.node);
    expect(nodes.typeAt(d.node, enc('f'))).toBeUndefined();
    expect(nodes.valid(BigInt(t.node))).toBe(true);
    nodes.detach(ROOT_NODE, enc('target'));
    expect(nodes.typeAt(ROOT_NODE, enc('target'))).toBeUndefined();
    // Everything goes when the kernel forgets it.
    nodes.forget(f.node, 2);
    nodes.forget(t.node, 1);
    nodes.forget(d.node, 1);
    expect(nodes.live).toBe(1);
    expect(nodes.audit()).toEqual([{ node: ROOT_NODE, lookups: 1 }]);
  });

  test('a full table refuses a new node and keeps counting the others', () => {
    // Three nodes: the root and two more.
    const nodes = NodeTable.attach(NodeTable.create(3));
    expect(nodes.enter(ROOT_NODE, enc('1'), NodeType.FILE)).toBeDefined();
    expect(nodes.enter(ROOT_NODE, enc('2'), NodeType.FILE)).toBeDefined();
    expect(nodes.enter(ROOT_NODE, enc('3'), NodeType.FILE)).toBeUndefined();
    expect(nodes.enter(ROOT_NODE, enc('1'), NodeType.FILE)).toBeDefined();
  });

  test('many names in few buckets all stay findable', () => {
    const nodes = NodeTable.attach(NodeTable.create(2000));
    const refs = Array.from({ length: 1500 }, (_, i) => nodes.enter(ROOT_NODE, enc(`n${i}`), NodeType.FILE)!);
    for (let i = 0; i < 1500; i += 7)
      expect(nodes.enter(ROOT_NODE, enc(`n${i}`), NodeType.FILE)!.node).toBe(refs[i]!.node);
    for (const [i, r] of refs.entries()) nodes.forget(r.node, i % 7 === 0 ? 2 : 1);
    expect(nodes.live).toBe(1);
  });
});

describe('FileTable', () => {
  test('fh values name one open file or directory, and go stale when closed', () => {
    const files = FileTable.attach(FileTable.create(4));
    const fh = files.openFile({ node: 3, handle: 0x1_0000_0002n, access: 0x3000 })!;
    expect(files.file(fh)).toEqual({ node: 3, handle: 0x1_0000_0002n, access: 0x3000 });
    expect(files.dir(fh)).toBeUndefined();
    const dh = files.openDir({ node: 1, head: 0x5000, entries: 7 })!;
    expect(files.dir(dh)).toMatchObject({ node: 1, head: 0x5000, entries: 7, resume: { pos: 0, chunk: 0 } });
    files.setResume(dh, { pos: 3, chunk: 0x5000, off: 300, index: 3 });
    expect(files.dir(dh)?.resume).toEqual({ pos: 3, chunk: 0x5000, off: 300, index: 3 });
    expect(files.close(fh)).toEqual({
      kind: 'file',
      file: { node: 3, handle: 0x1_0000_0002n, access: 0x3000 },
    });
    expect(files.file(fh)).toBeUndefined();
    expect(files.close(fh)).toBeUndefined();
    // The slot comes back under a new generation: the old fh does not reach the new file.
    const fh2 = files.openFile({ node: 4, handle: 9n, access: 0x1000 })!;
    expect(fh2 & 0xffffffffn).toBe(fh & 0xffffffffn);
    expect(files.file(fh)).toBeUndefined();
    expect(files.all().sort()).toEqual([dh, fh2].sort());
  });
});
