/** TensorBoard's own reader (Python), where the machine has it: the ground truth for our event files. */
import { spawnSync } from "node:child_process"
import { join } from "node:path"

const script = join(import.meta.dirname, "tb_read.py")

const importsTensorBoard = (python: string): boolean =>
  spawnSync(python, ["-c", "import tensorboard"], { stdio: "ignore" }).status === 0

/**
 * The Python that can `import tensorboard`: `TENSORBOARD_PYTHON` (CI sets it, and then it must
 * work), else `python3`; null with the reason when there is none.
 */
export const tensorBoardPython = ((): { readonly python: string | null; readonly reason: string } => {
  const required = process.env.TENSORBOARD_PYTHON
  if (required !== undefined && required !== "") {
    if (!importsTensorBoard(required)) throw new Error(`TENSORBOARD_PYTHON=${required} cannot import tensorboard`)
    return { python: required, reason: "" }
  }
  if (importsTensorBoard("python3")) return { python: "python3", reason: "" }
  return {
    python: null,
    reason: "skipped: no Python with the tensorboard package (pip install tensorboard, or set TENSORBOARD_PYTHON)"
  }
})()

/** What TensorBoard's EventAccumulator reads from `<runDir>/tensorboard`, per run ("." is the session). */
export interface TensorBoardView {
  readonly [run: string]: {
    readonly tags: Readonly<Record<string, ReadonlyArray<number>>>
    readonly hparams: {
      readonly session_end_status?: number
      readonly hparams?: ReadonlyArray<string>
      readonly experiment_hparams?: ReadonlyArray<string>
    }
    /** Node names of the run's GraphDef (the Graphs tab), null without one. */
    readonly graph: ReadonlyArray<string> | null
  }
}

/** Read a TensorBoard log directory with TensorBoard itself. */
export const readWithTensorBoard = (logdir: string): TensorBoardView => {
  if (tensorBoardPython.python === null) throw new Error(tensorBoardPython.reason)
  const result = spawnSync(tensorBoardPython.python, [script, logdir], { encoding: "utf8" })
  if (result.status !== 0) throw new Error(`tb_read.py failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as TensorBoardView
}
