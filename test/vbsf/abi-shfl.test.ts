// The SHFL table and struct layouts against upstream's numbers (shflsvc.h SHFL_CPARMS_*, tstShflSizes.cpp).
import { describe, expect, test } from 'vitest';
import {
  SHFLCREATEPARMS,
  SHFLDIRINFO,
  SHFLDIRINFO_NAME_OFFSET,
  SHFLFSOBJATTR,
  SHFLFSOBJINFO,
  SHFLFSPROPERTIES,
  SHFLMAPPING,
  SHFLSTRING,
  SHFLVOLINFO,
  SHFL_FN_LAST,
  SHFL_FUNCTIONS,
  ShflFn,
  shflFunction,
} from '../../src/abi/index.js';

describe('SHFL struct sizes (tstShflSizes)', () => {
  test.each([
    [SHFLSTRING, 6],
    [SHFLFSOBJATTR, 44],
    [SHFLFSOBJINFO, 92],
    [SHFLCREATEPARMS, 108],
    [SHFLDIRINFO, 128],
    [SHFLFSPROPERTIES, 12],
    [SHFLVOLINFO, 40],
    [SHFLMAPPING, 8],
  ])('%s', (s, size) => {
    expect(s.size).toBe(size);
  });
  test('offsets that guests rely on', () => {
    expect(SHFLCREATEPARMS.off).toMatchObject({ Handle: 0, Result: 8, CreateFlags: 12, Info: 16 });
    expect(SHFLFSOBJINFO.off).toMatchObject({ cbObject: 0, AccessTime: 16, BirthTime: 40, Attr: 48 });
    expect(SHFLFSOBJATTR.off).toMatchObject({ INodeId: 24, Device: 40 });
    expect(SHFLDIRINFO.off).toMatchObject({ cucShortName: 92, uszShortName: 94, nameSize: 122 });
    expect(SHFLDIRINFO_NAME_OFFSET).toBe(126);
    expect(SHFLVOLINFO.off).toMatchObject({ ulBytesPerAllocationUnit: 16, ulSerial: 24, fsProperties: 28 });
  });
});

describe('SHFL function table', () => {
  test('28 functions, 1..29 without 10, in order', () => {
    const nums = SHFL_FUNCTIONS.map((f) => f.fn);
    expect(nums).toEqual([...Array.from({ length: 29 }, (_, i) => i + 1)].filter((n) => n !== 10));
    expect(Math.max(...nums)).toBe(SHFL_FN_LAST);
    expect(shflFunction(10)).toBeUndefined();
    for (const f of SHFL_FUNCTIONS) expect(ShflFn[f.name]).toBe(f.fn);
  });
  test('parameter counts are SHFL_CPARMS_*', () => {
    const cparms: Record<string, number> = {
      QUERY_MAPPINGS: 3,
      QUERY_MAP_NAME: 2,
      CREATE: 3,
      CLOSE: 2,
      READ: 5,
      WRITE: 5,
      LOCK: 5,
      LIST: 8,
      INFORMATION: 5,
      REMOVE: 3,
      MAP_FOLDER_OLD: 3,
      UNMAP_FOLDER: 1,
      RENAME: 4,
      FLUSH: 2,
      SET_UTF8: 0,
      MAP_FOLDER: 4,
      READLINK: 3,
      SYMLINK: 4,
      SET_SYMLINKS: 0,
      QUERY_MAP_INFO: 5,
      WAIT_FOR_MAPPINGS_CHANGES: 1,
      CANCEL_MAPPINGS_CHANGES_WAITS: 0,
      SET_FILE_SIZE: 3,
      QUERY_FEATURES: 2,
      COPY_FILE: 5,
      COPY_FILE_PART: 8,
      CLOSE_AND_REMOVE: 4,
      SET_ERROR_STYLE: 2,
    };
    for (const f of SHFL_FUNCTIONS) expect([f.name, f.parms.length]).toEqual([f.name, cparms[f.name]]);
  });
  test('only READ and WRITE take page lists; only the mappings wait is asynchronous', () => {
    const pages = SHFL_FUNCTIONS.filter((f) => f.parms.some((p) => p.type === 'ptrOrPages')).map(
      (f) => f.name,
    );
    expect(pages).toEqual(['READ', 'WRITE']);
    expect(SHFL_FUNCTIONS.filter((f) => f.async).map((f) => f.name)).toEqual(['WAIT_FOR_MAPPINGS_CHANGES']);
  });
});
