// The VMMDev's HGCM requests (Connect, Disconnect, Call, Cancel2, the legacy Cancel), the HGCM event
// gate, requests at the end of RAM, and a fuzz of the whole handler, one request at a time through the
// real handler run inline; commands complete through the real host worker loop.
// Facts: vmmdev facts sections 1-5; what is written back where is part of every check.
import fc from 'fast-check';
import { beforeEach, describe, expect, test } from 'vitest';
import {
  HgcmReqFlag,
  ParmDirection,
  ParmType,
  RequestType,
  Status,
  VMMDevHGCMCall,
  VMMDevHGCMConnect,
  VMMDevHGCMRequestHeader,
  VMMDevReqHostVersion,
  VMMDevRequestHeader,
  VmmDevEvent,
} from '../../src/abi/index.js';
import { ClientState } from '../../src/hgcm/clients.js';
import { gpa } from '../../src/runtime/address.js';
import { ByteView } from '../../src/runtime/bytes.js';
import { sabHeapBacking } from '../../src/runtime/heap-backing.js';
import { POINTS } from '../../src/runtime/points.js';
import { SharedHeap } from '../../src/runtime/shared-heap.js';
import { CmdField } from '../../src/vmmdev/commands.js';
import {
  callImage,
  cancel2Image,
  connectImage,
  createHarness,
  disconnectImage,
  expectBytes,
  expectStatus,
  extraOff,
  flagsAt,
  hgcmImage,
  parmOff,
  requestImage,
  setPageList,
  setParm,
  type Harness,
  withRc,
  sleepCall,
  hgcmEnabled,
} from './helper.js';

const RAM = 1 << 20;
const ASYNC = Status.VINF_HGCM_ASYNC_EXECUTE;

let h: Harness;
/** Where the request under test goes. */
let A: number;
beforeEach(async () => {
  h = await createHarness();
  A = h.base;
});

describe('HGCMConnect', () => {
  beforeEach(() => {
    h.reportGuestInfo();
  });

  test('a known service: VINF_HGCM_ASYNC_EXECUTE at once, then result, client id and DONE', () => {
    const v = connectImage('echo', 0xdeadbeef);
    h.write(A, v);
    h.submit(A);
    expectStatus(h, A, ASYNC);
    expect(flagsAt(h, A) & HgcmReqFlag.DONE).toBe(0);
    expect(h.cmds.listed).toBe(1);
    h.host();
    expectStatus(h, A, ASYNC); // completion never touches header.rc
    expectStatus(h, A, Status.VINF_SUCCESS, 'result');
    expect(flagsAt(h, A)).toBe(HgcmReqFlag.DONE);
    expect(h.mem.readU32(gpa(A), VMMDevHGCMConnect.off.u32ClientID)).toBe(1);
    expect(h.dev.clients.lookup(1)).toMatchObject({ id: 1, service: 0 });
    expect(h.cmds.listed).toBe(0);
    expect(h.bus.irqLine).toBe(true);
  });

  test('the location type is not checked (upstream forces LocalHost_Existing)', () => {
    const v = connectImage('echo');
    v.setU32(VMMDevHGCMConnect.off.locType, 0);
    h.write(A, v);
    h.submit(A);
    h.host();
    expectStatus(h, A, Status.VINF_SUCCESS, 'result');
  });

  test('an unknown service: asynchronous VERR_HGCM_SERVICE_NOT_FOUND with DONE; the guest id comes back', () => {
    h.write(A, connectImage('VBoxSharedFolders', 0xdeadbeef));
    h.submit(A);
    expectStatus(h, A, ASYNC);
    expectStatus(h, A, Status.VERR_HGCM_SERVICE_NOT_FOUND, 'result');
    expect(flagsAt(h, A)).toBe(HgcmReqFlag.DONE);
    expect(h.mem.readU32(gpa(A), VMMDevHGCMConnect.off.u32ClientID)).toBe(0xdeadbeef);
    expect(h.bus.pendingEvents & VmmDevEvent.HGCM).toBe(VmmDevEvent.HGCM);
    expect(h.cmds.listed).toBe(0);
  });

  test('names are matched exactly', () => {
    h.write(A, connectImage('Echo'));
    h.submit(A);
    expectStatus(h, A, Status.VERR_HGCM_SERVICE_NOT_FOUND, 'result');
  });

  test('no NUL in the 128 name bytes: VERR_INVALID_PARAMETER in the header, the image written back, no DONE', () => {
    const v = connectImage(new Uint8Array(128).fill(0x41));
    v.setI32(VMMDevHGCMRequestHeader.off.result, 0x1234);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_INVALID_PARAMETER));
    expect(h.cmds.listed).toBe(0);
  });

  test('size below 168: VERR_INVALID_PARAMETER', () => {
    const v = hgcmImage(RequestType.HGCMConnect, 167);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_INVALID_PARAMETER));
  });

  test('a full client table: asynchronous VERR_HGCM_TOO_MANY_CLIENTS', () => {
    for (let i = 0; i < 16; i++) h.connect(A, 'noop');
    h.write(A, connectImage('noop'));
    h.submit(A);
    h.host();
    expectStatus(h, A, Status.VERR_HGCM_TOO_MANY_CLIENTS, 'result');
    expect(flagsAt(h, A)).toBe(HgcmReqFlag.DONE);
  });
});

describe('HGCMDisconnect', () => {
  beforeEach(() => {
    h.reportGuestInfo();
  });

  test('a connected client: asynchronous success, the client is gone', () => {
    const id = h.connect(A, 'echo');
    h.write(A, disconnectImage(id));
    h.submit(A);
    expectStatus(h, A, ASYNC);
    // The handle is deleted before the service hears of it: calls fail from now on.
    expect(h.dev.clients.lookup(id)).toBeUndefined();
    h.host();
    expectStatus(h, A, Status.VINF_SUCCESS, 'result');
    expect(flagsAt(h, A)).toBe(HgcmReqFlag.DONE);
    expect(h.dev.clients.liveSlots()).toEqual([]);
  });

  test('client id 0: VERR_INVALID_PARAMETER in the header, no DONE', () => {
    const v = disconnectImage(0);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_INVALID_PARAMETER));
  });

  test('an unknown client id: asynchronous VERR_HGCM_INVALID_CLIENT_ID with DONE', () => {
    h.write(A, disconnectImage(42));
    h.submit(A);
    expectStatus(h, A, ASYNC);
    expectStatus(h, A, Status.VERR_HGCM_INVALID_CLIENT_ID, 'result');
    expect(flagsAt(h, A)).toBe(HgcmReqFlag.DONE);
  });

  test('size below 36: VERR_INVALID_PARAMETER', () => {
    const v = hgcmImage(RequestType.HGCMDisconnect, 35);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_INVALID_PARAMETER));
  });
});

describe('HGCMCall', () => {
  let client: number;
  beforeEach(() => {
    h.reportGuestInfo();
    client = h.connect(A + 0x800, 'echo');
  });

  test('echo with embedded buffers: data, the embedded size, result and DONE come back', () => {
    const off = extraOff(2);
    const v = callImage({ clientId: client, fn: 1, cParms: 2, extra: 32 });
    setParm(v, 0, { type: ParmType.Embedded, w4: (off << 8) | ParmDirection.TO_HOST, w8: 5 });
    setParm(v, 1, { type: ParmType.Embedded, w4: ((off + 8) << 8) | ParmDirection.FROM_HOST, w8: 16 });
    v.bytes.set(new TextEncoder().encode('hello'), off);
    h.write(A, v);
    h.submit(A);
    expectStatus(h, A, ASYNC);
    h.host();
    expectStatus(h, A, Status.VINF_SUCCESS, 'result');
    expect(flagsAt(h, A)).toBe(HgcmReqFlag.DONE);
    expectBytes(h, A + off + 8, [...new TextEncoder().encode('hello'), 0, 0, 0]);
    // Embedded sizes are updated to the host's size.
    expect(h.mem.readU32(gpa(A), parmOff(1) + 8)).toBe(5);
    expect(h.stats.get('host.completed')).toBe(2);
  });

  test('echo with LinAddr buffers: the out buffer is written, its size field left alone', () => {
    const src = A + 0x2000;
    const dst = A + 0x3000;
    h.mem.write(gpa(src), Uint8Array.of(1, 2, 3, 4));
    const v = callImage({ clientId: client, fn: 1, cParms: 2 });
    setParm(v, 0, { type: ParmType.LinAddr_In, w4: 4, w8: BigInt(src) });
    setParm(v, 1, { type: ParmType.LinAddr_Out, w4: 8, w8: BigInt(dst) });
    h.write(A, v);
    h.submit(A);
    h.host();
    expectStatus(h, A, Status.VINF_SUCCESS, 'result');
    expectBytes(h, dst, [1, 2, 3, 4, 0, 0, 0, 0]);
    expect(h.mem.readU32(gpa(A), parmOff(1) + 4)).toBe(8);
  });

  test('an unknown client: VERR_HGCM_INVALID_CLIENT_ID in the header at once, no command, no DONE', () => {
    const v = callImage({ clientId: client + 5, cParms: 0 });
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_HGCM_INVALID_CLIENT_ID));
    expect(h.cmds.listed).toBe(0);
  });

  test('client id 0: VERR_INVALID_PARAMETER in the header', () => {
    const v = callImage({ clientId: 0, cParms: 0 });
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, Status.VERR_INVALID_PARAMETER));
  });

  test('a client whose connect has not completed is not accessible yet', () => {
    h.write(A + 0x1000, connectImage('echo'));
    h.submit(A + 0x1000);
    const pendingId = client + 1;
    expect(h.dev.clients.lookup(pendingId, ClientState.CONNECTING)).not.toBeUndefined();
    h.write(A, callImage({ clientId: pendingId, cParms: 0 }));
    h.submit(A);
    expectStatus(h, A, Status.VERR_HGCM_INVALID_CLIENT_ID);
  });

  test.each([
    ['cParms 33', () => callImage({ cParms: 33 }), Status.VERR_INVALID_PARAMETER],
    [
      'a PhysAddr parameter',
      () => {
        const v = callImage({ cParms: 1 });
        setParm(v, 0, { type: ParmType.PhysAddr, w4: 4, w8: 0x5000 });
        return v;
      },
      Status.VERR_INVALID_PARAMETER,
    ],
    [
      'a page list with no direction',
      () => {
        const v = callImage({ cParms: 1, extra: 16 });
        setParm(v, 0, { type: ParmType.PageList, w4: 4, w8: extraOff(1) });
        v.setU16(extraOff(1) + 6, 1);
        return v;
      },
      Status.VERR_INVALID_FLAGS,
    ],
    ['size below 44', () => hgcmImage(RequestType.HGCMCall64, 43), Status.VERR_INVALID_PARAMETER],
  ])('malformed: %s is refused in the header, the image written back', (_name, make, rc) => {
    const v = make();
    if (v.length >= VMMDevHGCMCall.size) v.setU32(VMMDevHGCMCall.off.u32ClientID, client);
    h.write(A, v);
    h.submit(A);
    expectBytes(h, A, withRc(v, rc));
    expect(h.cmds.listed).toBe(0);
    expect(h.stats.get('device.hgcm.refused')).toBe(1);
  });
});

describe('HGCMCancel2', () => {
  let client: number;
  const C = 0x20000; // the call to cancel
  beforeEach(() => {
    h.reportGuestInfo();
    client = h.connect(A + 0x800, 'delay');
  });

  function cancel2(phys: number, size?: number): void {
    h.write(A, cancel2Image(phys, size));
    h.submit(A);
  }

  test.each([
    ['0', 0],
    ['NIL_RTGCPHYS32', 0xffffffff],
  ])('address %s: VERR_INVALID_PARAMETER', (_name, phys) => {
    cancel2(phys);
    expectStatus(h, A, Status.VERR_INVALID_PARAMETER);
  });

  test('size below 28: VERR_INVALID_PARAMETER', () => {
    h.write(C, sleepCall(client, 100));
    h.submit(C);
    cancel2(C, 24);
    expectStatus(h, A, Status.VERR_INVALID_PARAMETER);
    expect(h.cmds.get(h.cmds.listedSlots()[0]!, CmdField.CANCELLED)).toBe(0);
  });

  test('no command at the address: VERR_NOT_FOUND', () => {
    cancel2(C);
    expectStatus(h, A, Status.VERR_NOT_FOUND);
    expect(h.stats.get('device.cancel.notFound')).toBe(1);
  });

  test('a pending call: marked, the service told, and its completion never written back', () => {
    h.write(C, sleepCall(client, 100));
    h.submit(C);
    h.host();
    const [slot] = h.cmds.listedSlots();
    cancel2(C);
    expectStatus(h, A, Status.VINF_SUCCESS);
    expect(h.cmds.get(slot!, CmdField.CANCELLED)).toBe(1);
    expect(h.cmds.listed).toBe(1); // stays listed until the service completes it
    h.host();
    expect(h.stats.get('host.cancelNotices')).toBe(1);
    expect(h.stats.get('host.started')).toBe(1); // the service had begun it before the cancel
    // Cancelling again before completion: the model's default lookup skips commands already cancelled
    // (upstream's first match would report success again; see CancelMatch in vmmdev/commands.ts).
    cancel2(C);
    expectStatus(h, A, Status.VERR_NOT_FOUND);
    h.clock.t = 100;
    h.fireTimers();
    expect(h.cmds.listed).toBe(0);
    expect(flagsAt(h, C) & HgcmReqFlag.DONE).toBe(0);
    expectStatus(h, C, Status.VINF_SUCCESS, 'result');
    expectStatus(h, C, ASYNC);
    expect(h.stats.get('host.completedCancelled')).toBe(1);
  });

  test('a call cancelled before the host took it: never started, completed cancelled at once', () => {
    h.write(C, sleepCall(client, 100));
    h.submit(C);
    cancel2(C);
    expectStatus(h, A, Status.VINF_SUCCESS);
    h.host();
    // Taken off the list without the service seeing it, and without waiting for the call's 100 ms.
    expect(h.stats.get('host.calls')).toBe(1);
    expect(h.stats.get('host.started')).toBe(0);
    expect(h.stats.get('host.completedCancelled')).toBe(1);
    expect(h.cmds.listed).toBe(0);
    expect(flagsAt(h, C) & HgcmReqFlag.DONE).toBe(0);
  });

  describe('what a service writes lands at completion, never for a cancelled call', () => {
    const B = 0x30000; // the out buffer, one page
    function fillCall(kind: 'pages' | 'linaddr', byte: number): ByteView {
      const v = callImage({ clientId: client, fn: 3, cParms: 3, extra: 16 });
      setParm(v, 0, { type: ParmType.U32, w4: 10 });
      setParm(v, 1, { type: ParmType.U32, w4: byte });
      if (kind === 'pages') {
        setParm(v, 2, { type: ParmType.NoBouncePageList, w4: 4096, w8: extraOff(3) });
        setPageList(v, extraOff(3), { flags: ParmDirection.FROM_HOST, offFirst: 0, cPages: 1, pages: [B] });
      } else {
        setParm(v, 2, { type: ParmType.LinAddr_Out, w4: 4096, w8: B });
      }
      return v;
    }
    const zeros = new Uint8Array(4096);

    test.each(['pages', 'linaddr'] as const)(
      '%s: filled in the call, in guest memory only at completion',
      (kind) => {
        h.write(B, zeros);
        h.write(C, fillCall(kind, 0xa5));
        h.submit(C);
        h.host();
        expect(h.cmds.listed).toBe(1);
        expectBytes(h, B, zeros);
        h.clock.t = 10;
        h.fireTimers();
        expect(flagsAt(h, C) & HgcmReqFlag.DONE).toBe(HgcmReqFlag.DONE);
        expectStatus(h, C, Status.VINF_SUCCESS, 'result');
        expectBytes(h, B, new Uint8Array(4096).fill(0xa5));
      },
    );

    test.each(['pages', 'linaddr'] as const)('%s: a cancelled call never writes its buffer', (kind) => {
      h.write(B, zeros);
      h.write(C, fillCall(kind, 0x5a));
      h.submit(C);
      h.host();
      cancel2(C);
      expectStatus(h, A, Status.VINF_SUCCESS);
      h.clock.t = 10;
      h.fireTimers();
      expect(h.cmds.listed).toBe(0);
      expect(h.stats.get('host.completedCancelled')).toBe(1);
      expectBytes(h, B, zeros);
    });
  });

  test('two commands at one address: the newest is marked', () => {
    h.write(C, sleepCall(client, 100));
    h.submit(C);
    h.submit(C);
    const slots = h.cmds.listedSlots();
    expect(slots).toHaveLength(2);
    const newest = slots.reduce((a, b) =>
      h.cmds.get(a, CmdField.SEQ) > h.cmds.get(b, CmdField.SEQ) ? a : b,
    );
    cancel2(C);
    expect(slots.map((s) => h.cmds.get(s, CmdField.CANCELLED))).toEqual(
      slots.map((s) => (s === newest ? 1 : 0)),
    );
  });

  test('an old host does not know the request: VERR_NOT_IMPLEMENTED', async () => {
    const old = await createHarness({ cancel2: false });
    old.reportGuestInfo();
    old.write(old.base, cancel2Image(C));
    old.submit(old.base);
    expectStatus(old, old.base, Status.VERR_NOT_IMPLEMENTED);
  });
});

describe('legacy HGCMCancel (the call re-submitted with its type changed)', () => {
  let client: number;
  const C = 0x20000;
  beforeEach(() => {
    h.reportGuestInfo();
    client = h.connect(A + 0x800, 'delay');
  });

  function resubmitAsCancel(onPoint?: (name: string) => void): void {
    h.mem.or32(gpa(C), VMMDevHGCMRequestHeader.off.fu32Flags, HgcmReqFlag.CANCELLED);
    h.mem.writeU32(gpa(C), VMMDevRequestHeader.off.requestType, RequestType.HGCMCancel);
    h.submit(C, { onPoint: (p) => onPoint?.(POINTS[p.id]!) });
  }

  test('a pending call: VINF_SUCCESS and the command is marked', () => {
    h.write(C, sleepCall(client, 100));
    h.submit(C);
    resubmitAsCancel();
    expectStatus(h, C, Status.VINF_SUCCESS);
    expect(h.cmds.get(h.cmds.listedSlots()[0]!, CmdField.CANCELLED)).toBe(1);
  });

  test('not found is reported as VERR_INVALID_PARAMETER', () => {
    h.write(C, sleepCall(client, 100));
    resubmitAsCancel();
    expectStatus(h, C, Status.VERR_INVALID_PARAMETER);
  });

  test('the whole image is written back from the device copy, except the flags word', () => {
    const v = sleepCall(client, 100);
    h.write(C, v);
    h.submit(C);
    resubmitAsCancel((name) => {
      if (name !== 'device.oldCancel') return;
      // While the device holds its copy: the guest scribbles over the body and the host sets DONE.
      h.mem.fill(gpa(C + 32), v.length - 32, 0x55);
      h.mem.or32(gpa(C), VMMDevHGCMRequestHeader.off.fu32Flags, HgcmReqFlag.DONE);
    });
    expectStatus(h, C, Status.VINF_SUCCESS);
    expectBytes(h, C + 32, v.bytes.subarray(32));
    // DONE survives: the flags word is never written back (a deviation from upstream, on purpose).
    expect(flagsAt(h, C)).toBe(HgcmReqFlag.DONE | HgcmReqFlag.CANCELLED);
  });

  test('size below 32: VERR_INVALID_PARAMETER', () => {
    const v = hgcmImage(RequestType.HGCMCancel, 28);
    h.write(A, v);
    h.submit(A);
    expectStatus(h, A, Status.VERR_INVALID_PARAMETER);
  });
});

describe('the HGCM event is switched on where upstream adds the command (vmmdevR3HgcmAddCommand)', () => {
  beforeEach(() => {
    h.reportGuestInfo();
  });

  test('a call refused while its parameters are fetched does not switch it on', () => {
    h.write(A, callImage({ cParms: 33 }));
    h.submit(A);
    expectStatus(h, A, Status.VERR_INVALID_PARAMETER);
    expect(hgcmEnabled(h)).toBe(false);
  });

  test('a connect refused for its size does not', () => {
    h.write(A, hgcmImage(RequestType.HGCMConnect, 100));
    h.submit(A);
    expect(hgcmEnabled(h)).toBe(false);
  });

  test('a call refused by the connector (unknown client) does', () => {
    h.write(A, callImage({ clientId: 77, cParms: 0 }));
    h.submit(A);
    expectStatus(h, A, Status.VERR_HGCM_INVALID_CLIENT_ID);
    expect(hgcmEnabled(h)).toBe(true);
  });

  test('a connect whose name has no NUL does', () => {
    h.write(A, connectImage(new Uint8Array(128).fill(0x41)));
    h.submit(A);
    expectStatus(h, A, Status.VERR_INVALID_PARAMETER);
    expect(hgcmEnabled(h)).toBe(true);
  });

  test('a disconnect of client 0 does', () => {
    h.write(A, disconnectImage(0));
    h.submit(A);
    expectStatus(h, A, Status.VERR_INVALID_PARAMETER);
    expect(hgcmEnabled(h)).toBe(true);
  });

  test('a connect to an unknown service does', () => {
    h.write(A, connectImage('nope'));
    h.submit(A);
    expect(hgcmEnabled(h)).toBe(true);
  });
});

describe('requests at the end of RAM', () => {
  beforeEach(() => {
    h.reportGuestInfo();
  });

  test('a request whose body runs past the end: handled, outputs land where there is RAM', () => {
    const at = RAM - 32; // header and major/minor/build in RAM; revision and features past the end
    h.write(at, requestImage(RequestType.GetHostVersion, VMMDevReqHostVersion.size).bytes.subarray(0, 32));
    h.submit(at);
    expectStatus(h, at, Status.VINF_SUCCESS);
    expect(h.mem.readU16(gpa(at), VMMDevReqHostVersion.off.major)).toBe(7);
    expect(h.mem.readU32(gpa(at), VMMDevReqHostVersion.off.build)).toBe(14);
  });

  test('an HGCM call whose parameters lie past the end reads them as 0xFF (unbacked) and is refused', () => {
    const at = RAM - 40;
    const v = callImage({ clientId: 1, cParms: 1 });
    h.write(at, v.bytes.subarray(0, 40));
    h.submit(at);
    // cParms reads 0xFFFFFFFF.
    expectStatus(h, at, Status.VERR_INVALID_PARAMETER);
    expect(h.cmds.listed).toBe(0);
  });

  test('a header that runs past the end is read like the body: the missing bytes are 0xFF', () => {
    // size, version, type and rc are in RAM; reserved1 and fRequestor are not.
    const at = RAM - 16;
    h.write(at, requestImage(RequestType.GetHostVersion, VMMDevReqHostVersion.size).bytes.subarray(0, 16));
    h.submit(at);
    expectStatus(h, at, Status.VINF_SUCCESS);
  });

  test('a header whose version lies past the end is ignored', () => {
    const at = RAM - 4;
    h.mem.writeU32(gpa(at), 0, 24);
    h.submit(at);
    expect(h.mem.readU32(gpa(at))).toBe(24);
    expect(h.stats.get('device.ignored')).toBe(1);
  });
});

describe('fuzz', () => {
  test('random bytes as a request at random addresses never throw, and the host side stays sound', async () => {
    const f = await createHarness();
    f.reportGuestInfo();
    const id = f.connect(f.base, 'echo');
    const handled = [
      RequestType.GetHostVersion,
      RequestType.AcknowledgeEvents,
      RequestType.CtlGuestFilterMask,
      RequestType.ReportGuestInfo,
      RequestType.HGCMConnect,
      RequestType.HGCMDisconnect,
      RequestType.HGCMCall32,
      RequestType.HGCMCall64,
      RequestType.HGCMCancel,
      RequestType.HGCMCancel2,
      1000,
    ];
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.oneof(
          fc.integer({ min: f.base, max: RAM - 1 }),
          fc.integer({ min: RAM - 48, max: RAM + 8 }),
          fc.nat(0xffffffff),
        ),
        fc.option(fc.constantFrom(...handled), { freq: 5 }),
        fc.boolean(),
        (bytes, phys, type, fixSize) => {
          const img = new Uint8Array(Math.max(bytes.length, 24));
          img.set(bytes);
          const dv = new ByteView(img);
          if (type !== null) {
            // Mostly well-formed headers, so the handlers run.
            dv.setU32(0, fixSize ? img.length : dv.u32(0) % 512);
            dv.setU32(4, 0x10001);
            dv.setU32(8, type);
            if (img.length >= 36) dv.setU32(32, fixSize ? id : dv.u32(32));
          }
          const inRam = Math.max(0, Math.min(img.length, RAM - phys));
          if (inRam > 0 && phys >= f.base) f.mem.write(gpa(phys), img.subarray(0, inRam));
          f.submit(phys);
          f.host();
          f.clock.t += 50;
          f.fireTimers();
          if (!f.bus.additionsOk) f.reportGuestInfo();
        },
      ),
      { numRuns: 400 },
    );
    // Nothing the guest wrote broke the host's own memory.
    SharedHeap.attach(sabHeapBacking(f.shared.snaps), 0).check();
    for (const s of f.cmds.listedSlots()) expect(f.cmds.get(s, CmdField.TYPE)).toBeGreaterThanOrEqual(60);
    expect(f.logs.filter((l) => l.includes('threw'))).toEqual([]);
  });
});
