// Reads numbers in a TIFF structure (a TIFF file, an EXIF block) in the byte order its header names.

export interface TiffOrder {
  /** Little-endian ("II"). */
  le: boolean;
  u16(at: number): number;
  u32(at: number): number;
  u64(at: number): number;
}

/** The readers for `data`'s byte order ("II" little-endian, "MM" big-endian); undefined when it is neither. */
export function tiffOrder(data: Buffer): TiffOrder | undefined {
  const order = data.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  return {
    le,
    u16: (at) => (le ? data.readUInt16LE(at) : data.readUInt16BE(at)),
    u32: (at) => (le ? data.readUInt32LE(at) : data.readUInt32BE(at)),
    u64: (at) => Number(le ? data.readBigUInt64LE(at) : data.readBigUInt64BE(at)),
  };
}
