import type { NamedTensor } from "../model/spec.js"
import type { TensorIndexEntry } from "./domain.js"

const hostIsLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

const elements = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * Concatenates tensors as little-endian Float32 (bit-exact, NaN payloads included) and returns the
 * index of where each one lies. Throws on a tensor whose data does not match its shape (a bug).
 */
export const packTensors = (
  tensors: ReadonlyArray<NamedTensor>
): { readonly bytes: Uint8Array; readonly index: ReadonlyArray<TensorIndexEntry> } => {
  const seen = new Set<string>()
  let total = 0
  const index = tensors.map((t) => {
    if (seen.has(t.name)) throw new Error(`checkpoint: duplicate tensor name "${t.name}"`)
    seen.add(t.name)
    if (elements(t.shape) !== t.data.length) {
      throw new Error(`checkpoint: tensor "${t.name}" has ${t.data.length} values for shape [${t.shape.join(", ")}]`)
    }
    const entry = { name: t.name, shape: [...t.shape], offset: total }
    total += t.data.byteLength
    return entry
  })
  const bytes = new Uint8Array(total)
  const view = new DataView(bytes.buffer)
  tensors.forEach((t, i) => {
    const offset = index[i]!.offset
    if (hostIsLittleEndian) bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset)
    else t.data.forEach((x, j) => view.setFloat32(offset + 4 * j, x, true))
  })
  return { bytes, index }
}

/** Cuts tensors back out of the bytes by their index; a string says what does not fit. */
export const unpackTensors = (
  file: string,
  bytes: Uint8Array,
  index: ReadonlyArray<TensorIndexEntry>
): { readonly tensors: ReadonlyArray<NamedTensor> } | { readonly error: string } => {
  let expectedOffset = 0
  const tensors: Array<NamedTensor> = []
  for (const entry of index) {
    const length = elements(entry.shape)
    if (entry.offset !== expectedOffset || entry.offset + 4 * length > bytes.byteLength) {
      return { error: `${file}: tensor ${entry.name} at byte ${entry.offset} does not fit the index` }
    }
    const data = new Float32Array(length)
    if (hostIsLittleEndian) {
      new Uint8Array(data.buffer).set(bytes.subarray(entry.offset, entry.offset + 4 * length))
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      for (let j = 0; j < length; j++) data[j] = view.getFloat32(entry.offset + 4 * j, true)
    }
    tensors.push({ name: entry.name, shape: entry.shape, data })
    expectedOffset += 4 * length
  }
  if (expectedOffset !== bytes.byteLength) {
    return { error: `${file}: ${bytes.byteLength} bytes but the index describes ${expectedOffset}` }
  }
  return { tensors }
}

/** Where the first NaN or infinity lies among the tensors of `file`, in words; undefined when all are finite. */
export const firstNonFinite = (file: string, tensors: ReadonlyArray<NamedTensor>): string | undefined => {
  for (const tensor of tensors) {
    const index = tensor.data.findIndex((value) => !Number.isFinite(value))
    if (index >= 0) return `${file}: tensor ${tensor.name} holds ${tensor.data[index]} at index ${index}; a saved state has only finite values`
  }
  return undefined
}
