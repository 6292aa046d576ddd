import { FileSystem, Path } from "@effect/platform"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit } from "effect"
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join as joinNode } from "node:path"
import { isLeftoverName, recoverDir, removeDirAtomic, writeDirAtomic, writeFileAtomic } from "../../src/fs/atomic.js"
import { AtomicWriteError } from "../../src/fs/errors.js"
import { verifyDir } from "../../src/fs/verify.js"
import { deadPid, diskFullLayer, ls, NodeLayer, noMkdirLayer, tempDir } from "./helpers.js"

describe("writeFileAtomic", () => {
  it.scoped("writes, replaces, and leaves no temp files", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      const target = `${dir}/nested/config.yaml`
      yield* writeFileAtomic(target, "a: 1\n")
      yield* writeFileAtomic(target, new TextEncoder().encode("a: 2\n"))
      expect(yield* fs.readFileString(target)).toBe("a: 2\n")
      expect(yield* ls(`${dir}/nested`)).toEqual(["config.yaml"])
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("keeps the old content and removes its temp file when the disk fills up", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      const target = `${dir}/summary.json`
      yield* fs.writeFileString(target, "old")
      const error = yield* Effect.flip(writeFileAtomic(target, "new"))
      expect(error).toBeInstanceOf(AtomicWriteError)
      expect(error.path).toBe(target)
      expect(error.reason).toBe("no space left on device (ENOSPC)")
      expect(error.fix).toMatch(/free disk space/i)
      expect(yield* fs.readFileString(target)).toBe("old")
      expect(yield* ls(dir)).toEqual(["summary.json"])
    }).pipe(Effect.provide(diskFullLayer((p) => p.includes(".tmp-")))))

  it.scoped("names the path when a parent is a file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      yield* fs.writeFileString(`${dir}/runs`, "not a dir")
      const error = yield* Effect.flip(writeFileAtomic(`${dir}/runs/exp/summary.json`, "{}"))
      expect(error._tag).toBe("AtomicWriteError")
      expect(error.path).toBe(`${dir}/runs/exp/summary.json`)
      expect(error.reason).toContain("not a directory")
      expect(error.message).toContain(`${dir}/runs/exp/summary.json`)
      expect(yield* fs.readFileString(`${dir}/runs`)).toBe("not a dir")
    }).pipe(Effect.provide(NodeLayer)))
})

const files = [
  { name: "weights.bin", data: new Uint8Array(4800).fill(7) },
  { name: "optimizer.bin", data: new Uint8Array(960).map((_, i) => i % 251) },
  { name: "state.json", data: "{\"epoch\":5}" }
]

describe("writeDirAtomic", () => {
  it.scoped("writes files, MANIFEST.json and DONE, and verifies", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      const written = yield* writeDirAtomic(`${dir}/ckpt`, files, { meta: { epoch: 5 } })
      expect(yield* ls(`${dir}/ckpt`)).toEqual(["DONE", "MANIFEST.json", "optimizer.bin", "state.json", "weights.bin"])
      expect(yield* ls(dir)).toEqual(["ckpt"])
      expect(written.manifest.files["weights.bin"]?.size).toBe(4800)
      expect(written.manifest.meta).toEqual({ epoch: 5 })
      expect((yield* fs.readFileString(`${dir}/ckpt/DONE`)).trim()).toBe(written.manifestSha256)
      const verdict = yield* verifyDir(`${dir}/ckpt`)
      expect(Either.isRight(verdict)).toBe(true)
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("replaces an existing directory and removes the old one only afterwards", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      yield* writeDirAtomic(`${dir}/best`, [{ name: "a.txt", data: "old" }])
      yield* writeDirAtomic(`${dir}/best`, [{ name: "b.txt", data: "new" }])
      expect(yield* ls(`${dir}/best`)).toEqual(["DONE", "MANIFEST.json", "b.txt"])
      expect(yield* fs.readFileString(`${dir}/best/b.txt`)).toBe("new")
      expect(yield* ls(dir)).toEqual(["best"])
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("keeps the previous directory intact when a file cannot be written", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      yield* writeDirAtomic(`${dir}/ckpt`, [{ name: "weights.bin", data: "old weights" }])
      const error = yield* Effect.flip(writeDirAtomic(`${dir}/ckpt`, files))
      expect(error.path).toBe(`${dir}/ckpt`)
      expect(error.reason).toContain("no space left on device")
      expect(yield* fs.readFileString(`${dir}/ckpt/weights.bin`)).toBe("old weights")
      expect(Either.isRight(yield* verifyDir(`${dir}/ckpt`))).toBe(true)
      expect(yield* ls(dir)).toEqual(["ckpt"])
    }).pipe(Effect.provide(diskFullLayer((p) => p.includes(".tmp-") && p.endsWith("optimizer.bin")))))

  it.scoped("reports an unwritable directory by path and leaves nothing behind", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* Effect.flip(writeDirAtomic(`${dir}/ckpt`, files))
      expect(error.path).toBe(`${dir}/ckpt`)
      expect(error.reason).toBe("permission denied (EACCES)")
      expect(error.fix).toMatch(/writable/)
      expect(yield* ls(dir)).toEqual([])
    }).pipe(Effect.provide(noMkdirLayer("EACCES"))))

  it.scoped("concurrent writers of the same directory never tear it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const writers = Array.from({ length: 6 }, (_, i) =>
        writeDirAtomic(`${dir}/entry`, [{ name: "out.bin", data: new Uint8Array(20_000).fill(i) }], {
          ifExists: i % 2 === 0 ? "keepIntact" : "replace"
        }))
      const results = yield* Effect.all(writers, { concurrency: "unbounded" })
      expect(results).toHaveLength(6)
      expect(Either.isRight(yield* verifyDir(`${dir}/entry`))).toBe(true)
      expect(yield* ls(dir)).toEqual(["entry"])
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("keepIntact keeps an intact existing directory and discards the new one", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      yield* writeDirAtomic(`${dir}/entry`, [{ name: "out.txt", data: "first" }])
      const second = yield* writeDirAtomic(`${dir}/entry`, [{ name: "out.txt", data: "second" }], { ifExists: "keepIntact" })
      expect(second.keptExisting).toBe(true)
      expect(yield* fs.readFileString(`${dir}/entry/out.txt`)).toBe("first")
      expect(yield* ls(dir)).toEqual(["entry"])
    }).pipe(Effect.provide(NodeLayer)))

  it.effect("rejects reserved and path-like file names as a bug", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(writeDirAtomic("/tmp/never-written", [{ name: "../escape", data: "x" }]))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Die").toBe(true)
      const reserved = yield* Effect.exit(writeDirAtomic("/tmp/never-written", [{ name: "DONE", data: "x" }]))
      expect(Exit.isFailure(reserved) && reserved.cause._tag === "Die").toBe(true)
    }).pipe(Effect.provide(NodeLayer)))
})

describe("recoverDir and removeDirAtomic", () => {
  it.scoped("moves a set-aside previous version back after a crash mid-swap and cleans dead leftovers", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      yield* writeDirAtomic(`${dir}/best`, [{ name: "w.bin", data: "previous" }])
      const pid = deadPid()
      // the crash: best was renamed aside, the new temp dir was half written
      yield* fs.rename(`${dir}/best`, `${dir}/.best.old-${pid}-abcdef`)
      yield* fs.makeDirectory(`${dir}/.best.tmp-${pid}-123456`)
      yield* fs.writeFileString(`${dir}/.best.tmp-${pid}-123456/w.bin`, "half")
      const live = `.best.tmp-${process.pid}-999999`
      yield* fs.makeDirectory(`${dir}/${live}`)
      const recovery = yield* recoverDir(`${dir}/best`)
      expect(recovery.restored).toBe(`${dir}/.best.old-${pid}-abcdef`)
      expect(recovery.removed).toEqual([`${dir}/.best.tmp-${pid}-123456`])
      expect(yield* fs.readFileString(`${dir}/best/w.bin`)).toBe("previous")
      expect(yield* ls(dir)).toEqual([live, "best"].sort())
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("never restores a directory that was being deleted", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      yield* writeDirAtomic(`${dir}/epoch-0001`, [{ name: "w.bin", data: "x" }])
      yield* fs.rename(`${dir}/epoch-0001`, `${dir}/.epoch-0001.trash-${deadPid()}-abcdef`)
      const recovery = yield* recoverDir(`${dir}/epoch-0001`)
      expect(recovery.restored).toBeUndefined()
      expect(yield* ls(dir)).toEqual([])
      yield* writeDirAtomic(`${dir}/epoch-0002`, [{ name: "w.bin", data: "x" }])
      yield* removeDirAtomic(`${dir}/epoch-0002`)
      yield* removeDirAtomic(`${dir}/epoch-0002`)
      expect(yield* ls(dir)).toEqual([])
      expect(isLeftoverName(".epoch-0002.trash-12-ab")).toBe(true)
      expect(isLeftoverName("epoch-0002")).toBe(false)
    }).pipe(Effect.provide(NodeLayer)))
})

/** A real tiny tmpfs: only when this process may mount (root in a container usually may). */
const tinyMount = (() => {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined
  const dir = mkdtempSync(joinNode(tmpdir(), "lstm-tmpfs-"))
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]).status === 0
  if (!mounted) {
    rmSync(dir, { recursive: true, force: true })
    return undefined
  }
  return dir
})()

describe.skipIf(tinyMount === undefined)("on a real 64 KiB tmpfs (skipped when mount is not permitted)", () => {
  const mount = tinyMount ?? ""
  afterAll(() => {
    spawnSync("umount", [mount])
    rmSync(mount, { recursive: true, force: true })
  })

  it.effect("a full disk fails with ENOSPC and the previous file and directory survive", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const file = path.join(mount, "summary.json")
      yield* writeFileAtomic(file, "old summary")
      yield* writeDirAtomic(path.join(mount, "best"), [{ name: "w.bin", data: new Uint8Array(8_000).fill(1) }])
      const fileError = yield* Effect.flip(writeFileAtomic(file, new Uint8Array(200_000)))
      expect(fileError.reason).toBe("no space left on device (ENOSPC)")
      const dirError = yield* Effect.flip(
        writeDirAtomic(path.join(mount, "best"), [{ name: "w.bin", data: new Uint8Array(200_000) }])
      )
      expect(dirError.reason).toBe("no space left on device (ENOSPC)")
      expect(yield* fs.readFileString(file)).toBe("old summary")
      expect(Either.isRight(yield* verifyDir(path.join(mount, "best")))).toBe(true)
      expect(yield* ls(mount)).toEqual(["best", "summary.json"])
    }).pipe(Effect.provide(NodeLayer)))

  it.effect("a read-only file system fails with EROFS naming the path", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      expect(spawnSync("mount", ["-o", "remount,ro", mount]).status).toBe(0)
      const error = yield* Effect.flip(writeFileAtomic(`${mount}/summary.json`, "new"))
      expect(error.path).toBe(`${mount}/summary.json`)
      expect(error.reason).toBe("read-only file system (EROFS)")
      expect(yield* fs.readFileString(`${mount}/summary.json`)).toBe("old summary")
    }).pipe(Effect.provide(NodeLayer)))
})
