/**
 * Column helpers shared by every slice's row mapping on both backends: SQLite and PostgreSQL both return hashes as
 * Buffers and integers as bigint or decimal text; SQLite keeps booleans as 0/1 integers. Also the placeholder
 * spelling of the two dialects, so a slice writes its SQL once.
 */

/** A database row. */
export type Row = Record<string, unknown>;

/** The `i`-th (1-based) parameter of a statement: `?` on SQLite (positional), `$i` on PostgreSQL. */
export type Placeholder = (i: number) => string;
/** SQLite's positional `?`. */
export const sqliteParam: Placeholder = () => "?";
/** PostgreSQL's numbered `$i`. */
export const postgresParam: Placeholder = (i) => `$${i}`;

/** A BLOB/BYTEA column as bytes. */
export const bytes = (v: unknown): Uint8Array => new Uint8Array(v as Buffer);
/** A nullable BLOB/BYTEA column. */
export const maybeBytes = (v: unknown): Uint8Array | null => (v === null || v === undefined ? null : bytes(v));
/** An integer column (bigint, number or decimal text) as bigint. */
export const big = (v: unknown): bigint => BigInt(v as bigint | number | string);
/** A nullable integer column. */
export const maybeBig = (v: unknown): bigint | null => (v === null || v === undefined ? null : big(v));
/** Bytes as a Buffer view for the drivers (no copy). */
export const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
/** Whether two byte strings are equal. */
export const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(buf(a), buf(b)) === 0;

/** A boolean column: SQLite stores 0/1 integers, PostgreSQL booleans. */
export const flag = (v: unknown): boolean => v === true || (typeof v !== "boolean" && Number(v) === 1);
/** A nullable text column. */
export const maybeText = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
/** A nullable integer column as a number. */
export const maybeNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
