import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"

/** What a run uploads as artifacts (MLflow, W&B), relative to the run directory; folders are uploaded whole. */
export const runArtifacts = ["model", "plots", "report.html", "config.yaml", "eval.json", "summary.json"] as const

/** Files under `root` (a file or a folder), as paths relative to `base`, in a stable order. */
const filesUnder = (base: string, root: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const out: Array<string> = []
    const visit = (relative: string): Effect.Effect<void, unknown> =>
      Effect.gen(function*() {
        const info = yield* fs.stat(path.join(base, relative))
        if (info.type === "File") {
          out.push(relative)
          return
        }
        if (info.type !== "Directory") return
        const names = [...(yield* fs.readDirectory(path.join(base, relative)))].sort()
        for (const name of names) yield* visit(path.join(relative, name))
      })
    if (yield* fs.exists(path.join(base, root))) yield* visit(root)
    return out
  })

/**
 * The run's artifact files that exist, as `/`-separated paths relative to the run directory, in a
 * stable order: the exported model, plots, report, config, eval and summary, and `checkpoints/`
 * when asked for. A file that cannot be listed is left out.
 */
export const artifactFiles = (runDir: string, options: { readonly checkpoints?: boolean } = {}) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const roots = [...runArtifacts, ...(options.checkpoints === true ? ["checkpoints"] : [])]
    const files = yield* Effect.forEach(roots, (root) => filesUnder(runDir, root).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => [])))
    return files.flat().map((file) => file.split(path.sep).join("/"))
  })
