// Guest-physical addresses as a branded number; arithmetic only through checked helpers (cf. vm-memory address.rs).

/** A guest-physical (= guest-linear, identity-mapped) address. Build with `gpa()`. */
export type GuestAddress = number & { readonly __brand: 'GuestAddress' };

/** Largest address the model represents exactly. */
export const MAX_GUEST_ADDRESS = Number.MAX_SAFE_INTEGER;

/** Brand a number as a guest address; throws RangeError for a negative, fractional or unsafe value. */
export function gpa(value: number): GuestAddress {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a guest address: ${value}`);
  return value as GuestAddress;
}

/** `a + n`, or undefined when the sum leaves [0, 2^53). */
export function addrAdd(a: GuestAddress, n: number): GuestAddress | undefined {
  const sum = a + n;
  return Number.isSafeInteger(n) && Number.isSafeInteger(sum) && sum >= 0 ? (sum as GuestAddress) : undefined;
}

/** Address rounded down to its page (4 KiB). */
export function pageOf(a: GuestAddress): GuestAddress {
  return (a - (a % 4096)) as GuestAddress;
}

/** Hex spelling for logs and errors: 0x0001f000. */
export function hexAddr(a: number): string {
  return `0x${a.toString(16).padStart(8, '0')}`;
}
