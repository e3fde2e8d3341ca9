// The command record: a call's parameters as the device parsed them, stored beside the snapshot and read
// back by the host, must come back exactly as parsed (the host no longer parses the request again).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ParmType, SvcParmType } from '../../src/abi/index.js';
import { SnapshotArena, readCommand, storeCall } from '../../src/vmmdev/command.js';
import { CmdField, CommandTable } from '../../src/vmmdev/commands.js';
import type { ParsedCall, ParsedParm } from '../../src/vmmdev/parse-call.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
// Plain objects, as the parse builds them (fast-check may otherwise make null-prototype ones).
const plain = { noNullPrototype: true } as const;
const run = fc.record(
  { phys: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), len: u32 },
  plain,
);
const parm: fc.Arbitrary<ParsedParm> = fc.record(
  {
    type: fc.constantFrom(ParmType.U32, ParmType.U64, ParmType.LinAddr, ParmType.PageList, ParmType.Embedded),
    off: u32,
    svcType: fc.constantFrom(SvcParmType.U32, SvcParmType.U64, SvcParmType.PTR, SvcParmType.PAGES),
    value32: u32,
    value64: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    size: u32,
    dir: fc.integer({ min: 0, max: 3 }),
    // An offset inside the request (a request is at most VMMDEV_MAX_VMMDEVREQ_SIZE bytes).
    sizeFieldOff: fc.option(fc.integer({ min: 0, max: 1 << 24 }), { nil: undefined }),
    runs: fc.array(run, { maxLength: 6 }),
  },
  plain,
);
const call: fc.Arbitrary<ParsedCall> = fc.record(
  {
    clientId: u32,
    fn: u32,
    is64: fc.boolean(),
    parms: fc.array(parm, { maxLength: 32 }),
    dataBytes: u32,
  },
  plain,
);

describe('the call record', () => {
  test('a stored call reads back as parsed, for any parameters and runs', () => {
    const cmds = CommandTable.create(4);
    const snaps = SnapshotArena.create(1 << 20);
    fc.assert(
      fc.property(call, (c) => {
        const slot = cmds.reserve()!;
        cmds.set(slot, CmdField.CLIENT_ID, c.clientId);
        cmds.set(slot, CmdField.FUNCTION, c.fn);
        expect(storeCall(cmds, snaps, slot, c)).toBe(true);
        expect(readCommand(cmds, snaps, slot).call).toEqual(c);
        snaps.free(cmds.get(slot, CmdField.CALL_OFF));
        cmds.release(slot);
      }),
      { numRuns: 300 },
    );
    expect(snaps.inUseBytes).toBe(0);
  });

  test('no room in the arena: the call is refused, nothing is half stored', () => {
    const cmds = CommandTable.create(2);
    const snaps = SnapshotArena.create(256);
    const slot = cmds.reserve()!;
    const big: ParsedCall = {
      clientId: 1,
      fn: 1,
      is64: true,
      dataBytes: 0,
      parms: Array.from({ length: 32 }, (_, i) => ({
        type: ParmType.U32,
        off: i,
        svcType: SvcParmType.U32,
        value32: i,
        value64: 0n,
        size: 0,
        dir: 0,
        sizeFieldOff: undefined,
        runs: [],
      })),
    };
    expect(storeCall(cmds, snaps, slot, big)).toBe(false);
    expect(cmds.get(slot, CmdField.CALL_OFF)).toBe(0);
    expect(readCommand(cmds, snaps, slot).call).toBeUndefined();
  });
});
