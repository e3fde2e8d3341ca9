// The VMMDev request path (vmmdevRequestHandler and the request handlers of 7.0.14), one request at a time
// through the real handler, run inline; HGCM commands complete through the real host worker loop.
// Facts: vmmdev facts sections 1-5; what is written back where is part of every check.
import { beforeEach, describe, expect, test } from 'vitest';
import {
  RequestType,
  Status,
  VMMDEV_MAX_VMMDEVREQ_SIZE,
  VMMDevCtlGuestFilterMask,
  VMMDevEvents,
  VMMDevReportGuestInfo,
  VMMDevReqHostVersion,
  VMMDevRequestHeader,
  VmmDevEvent,
} from '../../src/abi/index.js';
import { gpa } from '../../src/runtime/address.js';
import {
  connectImage,
  createHarness,
  expectBytes,
  expectStatus,
  requestImage,
  type Harness,
  withRc,
} from './helper.js';

const RAM = 1 << 20;

let h: Harness;
/** Where the request under test goes. */
let A: number;
beforeEach(async () => {
  h = await createHarness();
  A = h.base;
});

describe('requests the device ignores: nothing is written back', () => {
  test.each([
    ['size 0', 0],
    ['size 23', 23],
  ])('%s (below the 24-byte header)', (_name, size) => {
    h.reportGuestInfo();
    const v = requestImage(RequestType.GetHostVersion, VMMDevReqHostVersion.size, 0xaa);
    v.setU32(VMMDevRequestHeader.off.size, size);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, v);
    expect(h.stats.get('device.ignored')).toBe(1);
  });

  test.each([0x10000, 0x10002, 0])('version 0x%s', (version) => {
    const v = requestImage(RequestType.GetHostVersion, VMMDevReqHostVersion.size, 0xaa);
    v.setU32(VMMDevRequestHeader.off.version, version);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, v);
    expect(h.stats.get('device.ignored')).toBe(1);
  });

  test.each([
    ['at the end of RAM', RAM],
    ['a page past it', RAM + 4096],
    ['at 0xFFFFFFFC', 0xfffffffc],
  ])('a request entirely outside RAM (%s)', (_name, phys) => {
    expect(() => h.submit(phys)).not.toThrow();
    expect(h.stats.get('device.ignored')).toBe(1);
  });
});

describe('the size limit and the additions gate: VERR_NOT_SUPPORTED in the header, nothing else', () => {
  test('a request above 1 MiB', () => {
    h.reportGuestInfo();
    const v = requestImage(RequestType.GetHostVersion, VMMDevReqHostVersion.size, 0xaa);
    v.setU32(VMMDevRequestHeader.off.size, VMMDEV_MAX_VMMDEVREQ_SIZE + 1);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_NOT_SUPPORTED));
  });

  test('exactly 1 MiB is allowed (here: an unknown type, so VERR_NOT_IMPLEMENTED)', () => {
    h.reportGuestInfo();
    const v = requestImage(1000, 64, 0xaa);
    v.setU32(VMMDevRequestHeader.off.size, VMMDEV_MAX_VMMDEVREQ_SIZE);
    h.write(A, v);
    h.submit(A);
    expectStatus(h, A, Status.VERR_NOT_IMPLEMENTED);
  });

  test('before the additions reported, other requests are refused without running', () => {
    const ack = requestImage(RequestType.AcknowledgeEvents, VMMDevEvents.size, 0xaa);
    h.write(A, ack);
    h.submit(A);
    expectBytes(h, A, withRc(ack, Status.VERR_NOT_SUPPORTED));

    const conn = connectImage('echo');
    h.write(A + 0x1000, conn);
    h.submit(A + 0x1000);
    // Refused before the "async execute" pre-write, and no command was made.
    expectBytes(h, A + 0x1000, withRc(conn, Status.VERR_NOT_SUPPORTED));
    expect(h.cmds.listed).toBe(0);
    expect(h.stats.get('device.notSupported')).toBe(2);
  });

  test.each([
    ['GetHostVersion', RequestType.GetHostVersion, VMMDevReqHostVersion.size, Status.VINF_SUCCESS],
    [
      'ReportGuestInfo',
      RequestType.ReportGuestInfo,
      VMMDevReportGuestInfo.size,
      Status.VERR_VERSION_MISMATCH,
    ],
    // Allowed through the gate; the model has no handler for them.
    ['ReportGuestInfo2', RequestType.ReportGuestInfo2, 48, Status.VERR_NOT_IMPLEMENTED],
    ['WriteCoreDump', RequestType.WriteCoreDump, 32, Status.VERR_NOT_IMPLEMENTED],
  ])('%s passes the gate before the additions reported', (_name, type, size, rc) => {
    h.write(A, requestImage(type, size));
    h.submit(A);
    expectStatus(h, A, rc);
  });
});

describe('unknown request types', () => {
  test.each([
    ['1000', 1000],
    ['LogString (release builds)', RequestType.LogString],
    ['0xFFFFFFFF', 0xffffffff],
  ])('%s: VERR_NOT_IMPLEMENTED, the image written back', (_name, type) => {
    h.reportGuestInfo();
    const v = requestImage(type, 40, 0x5a);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_NOT_IMPLEMENTED));
    expect(h.stats.get('device.unknownType')).toBe(1);
  });
});

describe('GetHostVersion', () => {
  test('reports 7.0.14 r161095 with features 0x8000000F', () => {
    const v = requestImage(RequestType.GetHostVersion, VMMDevReqHostVersion.size, 0xaa);
    h.write(A, v);
    h.submit(A);
    expectStatus(h, A, Status.VINF_SUCCESS);
    const L = VMMDevReqHostVersion.off;
    const a = gpa(A);
    expect([
      h.mem.readU16(a, L.major),
      h.mem.readU16(a, L.minor),
      h.mem.readU32(a, L.build),
      h.mem.readU32(a, L.revision),
      h.mem.readU32(a, L.features),
    ]).toEqual([7, 0, 14, 161095, 0x8000000f]);
  });

  test('the configured features are what it reports', async () => {
    const old = await createHarness({ hostFeatures: 0x1 });
    old.write(old.base, requestImage(RequestType.GetHostVersion, VMMDevReqHostVersion.size));
    old.submit(old.base);
    expect(old.mem.readU32(gpa(old.base), VMMDevReqHostVersion.off.features)).toBe(1);
  });

  test.each([36, 44])('size %i (not exactly 40) is VERR_INVALID_PARAMETER and fills in nothing', (size) => {
    const v = requestImage(RequestType.GetHostVersion, size, 0xaa);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_INVALID_PARAMETER));
  });
});

describe('AcknowledgeEvents', () => {
  beforeEach(() => {
    h.reportGuestInfo();
  });

  test('returns the pending unmasked events, clears them and lowers the IRQ', () => {
    h.bus.setFilterMask(VmmDevEvent.HGCM | VmmDevEvent.RESTORED, 0);
    h.bus.notifyGuest(VmmDevEvent.HGCM | VmmDevEvent.DISPLAY_CHANGE_REQUEST);
    expect(h.bus.irqLine).toBe(true);
    h.write(A, requestImage(RequestType.AcknowledgeEvents, VMMDevEvents.size));
    h.submit(A);
    expectStatus(h, A, Status.VINF_SUCCESS);
    expect(h.mem.readU32(gpa(A), VMMDevEvents.off.events)).toBe(VmmDevEvent.HGCM);
    expect(h.bus.irqLine).toBe(false);
    // The masked event stays latched.
    expect(h.bus.pendingEvents).toBe(VmmDevEvent.DISPLAY_CHANGE_REQUEST);
  });

  test('any size but 28 is VERR_INVALID_PARAMETER and acknowledges nothing', () => {
    h.bus.setFilterMask(VmmDevEvent.HGCM, 0);
    h.bus.notifyGuest(VmmDevEvent.HGCM);
    const v = requestImage(RequestType.AcknowledgeEvents, 32, 0xaa);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_INVALID_PARAMETER));
    expect(h.bus.pendingEvents).toBe(VmmDevEvent.HGCM);
    expect(h.bus.irqLine).toBe(true);
  });
});

describe('CtlGuestFilterMask', () => {
  beforeEach(() => {
    h.reportGuestInfo();
  });

  function ctl(or: number, not: number, size: number = VMMDevCtlGuestFilterMask.size): void {
    const v = requestImage(RequestType.CtlGuestFilterMask, size);
    if (size >= 32) {
      v.setU32(VMMDevCtlGuestFilterMask.off.u32OrMask, or);
      v.setU32(VMMDevCtlGuestFilterMask.off.u32NotMask, not);
    }
    h.write(A, v);
    h.submit(A);
  }

  test('ORs in, then clears, the guest filter bits (the OR mask is not checked against the valid mask)', () => {
    ctl(0x5 | 0x80000000, 0);
    expectStatus(h, A, Status.VINF_SUCCESS);
    expect(h.bus.filterMask).toBe((0x5 | 0x80000000) >>> 0);
    ctl(0, 0x4);
    expect(h.bus.filterMask).toBe((0x1 | 0x80000000) >>> 0);
  });

  test('cannot clear VMMDEV_EVENT_HGCM', () => {
    ctl(VmmDevEvent.HGCM | 0x1, 0);
    ctl(0, 0xffffffff);
    expectStatus(h, A, Status.VINF_SUCCESS);
    expect(h.bus.filterMask).toBe(VmmDevEvent.HGCM);
  });

  test('any size but 32 is VERR_INVALID_PARAMETER and changes nothing', () => {
    ctl(0x1, 0, 36);
    expectStatus(h, A, Status.VERR_INVALID_PARAMETER);
    expect(h.bus.filterMask).toBe(0);
  });
});

describe('ReportGuestInfo', () => {
  function report(version: number, size: number = VMMDevReportGuestInfo.size): void {
    const v = requestImage(RequestType.ReportGuestInfo, size);
    v.setU32(VMMDevReportGuestInfo.off.interfaceVersion, version);
    h.write(A, v);
    h.submit(A);
  }

  test.each([0x00010000, 0x00010003, 0x00010004])(
    'interface version 0x%s lets the additions in',
    (version) => {
      report(version);
      expectStatus(h, A, Status.VINF_SUCCESS);
      expect(h.bus.additionsOk).toBe(true);
    },
  );

  test.each([0x00010005, 0x00020004, 0x00000004, 0])(
    'interface version 0x%s is VERR_VERSION_MISMATCH',
    (version) => {
      report(version);
      expectStatus(h, A, Status.VERR_VERSION_MISMATCH);
      expect(h.bus.additionsOk).toBe(false);
    },
  );

  test('a later report of an unsupported version shuts the additions out again', () => {
    report(0x00010004);
    report(0x00010005);
    expect(h.bus.additionsOk).toBe(false);
    h.write(A + 0x100, requestImage(RequestType.AcknowledgeEvents, VMMDevEvents.size));
    h.submit(A + 0x100);
    expectStatus(h, A + 0x100, Status.VERR_NOT_SUPPORTED);
  });

  // Upstream's ReportGuestInfo lowers the PCI IRQ on success (vmmdev facts 2: "otherwise lower the IRQ").
  test('a successful report lowers the IRQ pin and leaves the pending events latched', () => {
    report(0x00010004);
    h.bus.setFilterMask(0x4, 0);
    h.bus.notifyGuest(0x4);
    expect(h.bus.irqLine).toBe(true);
    report(0x00010004);
    expect(h.bus.irqLine).toBe(false);
    expect(h.bus.pendingEvents & 0x4).toBe(0x4);
    expect(h.bus.acknowledgeEvents()).toBe(0x4);
  });

  test('any size but 32 is VERR_INVALID_PARAMETER and changes nothing', () => {
    report(0x00010004, 36);
    expectStatus(h, A, Status.VERR_INVALID_PARAMETER);
    expect(h.bus.additionsOk).toBe(false);
  });
});
