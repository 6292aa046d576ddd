import { FileSystem } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { sha256File, sha256Hex } from "../../src/fs/hash.js"
import { NodeLayer, tempDir } from "./helpers.js"

describe("sha256", () => {
  it.scoped("hashes strings, bytes and files to the known digest", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
      expect(sha256Hex("abc")).toBe(abc)
      expect(sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(abc)
      const dir = yield* tempDir
      yield* fs.writeFileString(`${dir}/f`, "abc")
      expect(yield* sha256File(`${dir}/f`)).toEqual({ sha256: abc, size: 3 })
      const big = new Uint8Array(300_000).map((_, i) => (i * 7) % 256)
      yield* fs.writeFile(`${dir}/big`, big)
      expect(yield* sha256File(`${dir}/big`)).toEqual({ sha256: sha256Hex(big), size: big.byteLength })
    }).pipe(Effect.provide(NodeLayer)))
})
