// Wire structs declared as data: offsets, types and the C size, pinned by tests (cf. VMMDEV_ASSERT_SIZE).

/** Scalar field types; all little-endian. */
export type Scalar = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64';

/** One field: its byte offset, its type, and its length in bytes. */
export interface FieldSpec {
  readonly off: number;
  readonly type: Scalar | 'bytes';
  readonly len: number;
}

/** A field declaration: `[offset, scalar]` or `[offset, 'bytes', length]`. */
export type FieldDecl = readonly [number, Scalar] | readonly [number, 'bytes', number];

/** A C struct as data. `off.x` is the offset of field x; `size` is sizeof(struct). */
export interface Struct<N extends string> {
  readonly name: string;
  readonly size: number;
  readonly off: Readonly<Record<N, number>>;
  readonly fields: Readonly<Record<N, FieldSpec>>;
}

const scalarSize: Readonly<Record<Scalar, number>> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8 };

/** Byte length of a scalar type. */
export function scalarLength(type: Scalar): number {
  return scalarSize[type];
}

/**
 * Declare a struct. Fields may overlap (C unions); every field must lie inside `size`.
 * Throws at module load if a declaration is inconsistent, so a typo cannot ship.
 */
export function defineStruct<const F extends Readonly<Record<string, FieldDecl>>>(
  name: string,
  size: number,
  decls: F,
): Struct<keyof F & string> {
  const off: Record<string, number> = {};
  const fields: Record<string, FieldSpec> = {};
  for (const [field, decl] of Object.entries(decls)) {
    const len = decl[1] === 'bytes' ? decl[2] : scalarSize[decl[1]];
    if (len === undefined || decl[0] < 0 || decl[0] + len > size) {
      throw new Error(`${name}.${field}: [${decl[0]}, ${len}) does not fit in ${size} bytes`);
    }
    off[field] = decl[0];
    fields[field] = Object.freeze({ off: decl[0], type: decl[1], len });
  }
  return Object.freeze({
    name,
    size,
    off: Object.freeze(off) as Record<keyof F & string, number>,
    fields: Object.freeze(fields) as Record<keyof F & string, FieldSpec>,
  });
}
