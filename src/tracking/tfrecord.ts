import { crc32c } from "@aws-crypto/crc32c"

/** TFRecord's masked CRC32C: rotate right by 15 and add a constant, so CRCs of CRCs stay useful. */
export const maskedCrc32c = (data: Uint8Array): number => {
  const crc = crc32c(data) >>> 0
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0
}

/** One TFRecord: uint64 length, masked CRC of the length, data, masked CRC of the data (all little-endian). */
export const frameRecord = (data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(8 + 4 + data.length + 4)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(data.length), true)
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true)
  out.set(data, 12)
  view.setUint32(12 + data.length, maskedCrc32c(data), true)
  return out
}

/** Why a TFRecord stream could not be read. */
export class RecordCorrupt extends Error {
  constructor(readonly offset: number, reason: string) {
    super(`TFRecord at byte ${offset}: ${reason}`)
  }
}

/** Split a TFRecord stream into records, checking both CRCs of each; throws RecordCorrupt. */
export const readRecords = (bytes: Uint8Array): ReadonlyArray<Uint8Array> => {
  const records: Array<Uint8Array> = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) throw new RecordCorrupt(offset, "truncated header")
    const length = Number(view.getBigUint64(offset, true))
    if (view.getUint32(offset + 8, true) !== maskedCrc32c(bytes.subarray(offset, offset + 8))) {
      throw new RecordCorrupt(offset, "length CRC mismatch")
    }
    const start = offset + 12
    if (start + length + 4 > bytes.length) throw new RecordCorrupt(offset, "truncated data")
    const data = bytes.subarray(start, start + length)
    if (view.getUint32(start + length, true) !== maskedCrc32c(data)) throw new RecordCorrupt(offset, "data CRC mismatch")
    records.push(data)
    offset = start + length + 4
  }
  return records
}
