import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { type Blob, decodeDataset, encodeDataset, scaleTarget, unscaleTarget } from "../../src/data/Dataset.js"
import { prepareData } from "../../src/data/prepareData.js"
import { dataConfig, fixturesDir, salesSource, splitX } from "./helpers.js"

const bytes = (array: Float32Array | Float64Array | Int32Array) =>
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength)

const sales = prepareData(dataConfig({ source: salesSource, lookback: 7, horizon: 2 }), fixturesDir)

layer(NodeContext.layer)("Dataset", (it) => {
  it.effect("round-trips through JSON and blobs bit-exactly", () =>
    Effect.gen(function*() {
      const dataset = yield* sales
      const encoded = encodeDataset(dataset)
      expect(encoded.blobs.map((b) => b.name)).toEqual([
        "series.time.json",
        "series.target.f64",
        "inputs.f32",
        "inputs.offsets.i32",
        "train.y.f32",
        "train.start.i32",
        "train.series.i32",
        "val.y.f32",
        "val.start.i32",
        "val.series.i32",
        "test.y.f32",
        "test.start.i32",
        "test.series.i32"
      ])
      // what a cache does: manifest through JSON text, blobs copied at odd offsets
      const manifest: unknown = JSON.parse(JSON.stringify(encoded.manifest))
      const blobs: Array<Blob> = encoded.blobs.map((b) => {
        const padded = new Uint8Array(b.data.byteLength + 1)
        padded.set(b.data, 1)
        return { name: b.name, data: padded.subarray(1) }
      })
      const decoded = yield* decodeDataset(manifest, blobs)
      expect(decoded.manifest).toEqual(dataset.manifest)
      expect(decoded.series.time).toEqual(dataset.series.time)
      expect(bytes(decoded.series.target)).toEqual(bytes(dataset.series.target))
      for (const name of ["train", "val", "test"] as const) {
        const [a, b] = [decoded.splits[name], dataset.splits[name]]
        expect(a.n).toBe(b.n)
        expect(bytes(splitX(a, 7, 11))).toEqual(bytes(splitX(b, 7, 11)))
        expect(Array.from(a.series)).toEqual(Array.from(b.series))
        expect(bytes(a.y)).toEqual(bytes(b.y))
        expect(Array.from(a.start)).toEqual(Array.from(b.start))
      }
    }))

  it.effect("stores little-endian values", () =>
    Effect.gen(function*() {
      const dataset = yield* sales
      const target = encodeDataset(dataset).blobs.find((b) => b.name === "series.target.f64")!
      const view = new DataView(target.data.buffer, target.data.byteOffset, target.data.byteLength)
      expect(view.getFloat64(0, true)).toBe(252)
      expect(view.getFloat64(8 * 119, true)).toBe(dataset.series.target[119])
    }))

  it.effect("rejects a truncated blob, a missing blob and a bad manifest", () =>
    Effect.gen(function*() {
      const { manifest, blobs } = encodeDataset(yield* sales)
      const truncated = blobs.map((b) => b.name === "val.y.f32" ? { ...b, data: b.data.subarray(4) } : b)
      const short = yield* Effect.flip(decodeDataset(manifest, truncated))
      expect(short._tag).toBe("DatasetCorrupt")
      expect(short.file).toBe("val.y.f32")
      expect(short.message).toContain("has 132 bytes, expected 136")

      const missing = yield* Effect.flip(decodeDataset(manifest, blobs.filter((b) => b.name !== "train.start.i32")))
      expect(missing.message).toContain("train.start.i32 is missing")

      const bad = yield* Effect.flip(decodeDataset({ ...Object(manifest), lookback: -1 }, blobs))
      expect(bad.file).toBe("manifest")
      expect(bad.message).toContain("lookback")
    }))

  it.effect("unscales model outputs to original units and back", () =>
    Effect.gen(function*() {
      const { manifest, series, splits } = yield* sales
      const back = unscaleTarget(manifest, splits.val.y.subarray(0, 2))
      expect(back[0]).toBeCloseTo(series.target[splits.val.start[0]!]!, 3)
      expect(back[1]).toBeCloseTo(series.target[splits.val.start[0]! + 1]!, 3)
      const values = [100, 250, 310]
      expect(Array.from(unscaleTarget(manifest, scaleTarget(manifest, values))).map((v) => Math.round(v * 1e9) / 1e9))
        .toEqual(values)
    }))
})
