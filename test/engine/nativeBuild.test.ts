import { spawnSync } from "node:child_process"
import { existsSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeConfigText } from "../../src/config/loadConfig.js"
import { packageRoot } from "../../src/engine/paths.js"
import { engineKind, threadCount } from "../../src/stages/Train.js"
import { nativeIsas, nativeMissing } from "./nativeSupport.js"

const root = packageRoot() ?? "."

describe("native engine build and selection", () => {
  it("without a compiler the build says so in one line, succeeds, and leaves any built addon alone", () => {
    const addon = join(root, "dist", "engine", "lstm-native.node")
    const before = existsSync(addon) ? statSync(addon).mtimeMs : null
    const r = spawnSync(process.execPath, [join(root, "src", "scripts", "build-native.mjs")], {
      encoding: "utf8",
      env: { ...process.env, CXX: join(root, "no-such-dir", "c++") }
    })
    expect(r.status).toBe(0)
    const lines = `${r.stdout}${r.stderr}`.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/no C\+\+ compiler found .*the WebAssembly engine will be used/)
    expect(existsSync(addon) ? statSync(addon).mtimeMs : null).toBe(before)
  })

  it.effect("auto picks native where it is built, else wasm; runtime.engine=wasm forces the fallback", () =>
    Effect.gen(function*() {
      const auto = (yield* decodeConfigText("test.yaml", "runtime: { threads: 2 }", [])).config
      expect(engineKind(auto, false)).toBe(nativeMissing === null ? "native" : "wasm")
      expect(engineKind(auto, true)).toBe("tfjs")
      expect(threadCount(auto)).toBe(2)
      const forced = (yield* decodeConfigText("test.yaml", "runtime: { threads: 2 }", [{ path: "runtime.engine", raw: "wasm", source: "--set" }])).config
      expect(engineKind(forced, false)).toBe("wasm")
      const native = (yield* decodeConfigText("test.yaml", "runtime: { engine: native }", [])).config
      expect(engineKind(native, false)).toBe("native")
    }))

  it("pipeline devices names the CPU training engine auto uses", () => {
    const r = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", join(root, "dist", "bin.js"), "devices", "--json"], { encoding: "utf8" })
    expect(r.status, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as { cpu_engine: { name: string; why: string } }
    if (nativeMissing === null) expect(report.cpu_engine.name).toBe(`native-${nativeIsas[0]}`)
    else expect(report.cpu_engine).toMatchObject({ name: "wasm-relaxed-simd", why: expect.stringContaining(nativeMissing) })
  })
})
