// Guest-physical addresses as a branded number: raw numbers from the guest become addresses only through
// gpa(), which checks them (cf. vm-memory address.rs); GuestMemory takes an address and an offset.
// Used on every thread.

/** A guest-physical (= guest-linear, identity-mapped) address. Build with `gpa()`. */
export type GuestAddress = number & { readonly __brand: 'GuestAddress' };

/** Brand a number as a guest address; throws RangeError for a negative, fractional or unsafe value. */
export function gpa(value: number): GuestAddress {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a guest address: ${value}`);
  return value as GuestAddress;
}

/** Hex spelling for logs and errors: 0x0001f000. */
export function hexAddr(a: number): string {
  return `0x${a.toString(16).padStart(8, '0')}`;
}
