import { parentPort } from "node:worker_threads"
import type { ModelSpec } from "../model/spec.js"
import { compileKernels, WasmCore } from "./wasmCore.js"

/** Messages from the engine to a worker. */
export type WorkerRequest =
  | { readonly type: "init"; readonly wasmPath: string; readonly spec: ModelSpec }
  | {
    readonly type: "chunk"
    readonly params: Float32Array | null
    readonly x: Float32Array
    readonly y: Float32Array
    readonly n: number
    readonly total: number
    readonly sample0: number
    readonly step: number
    readonly seed: number
  }

/** Replies from a worker. */
export type WorkerReply =
  | { readonly type: "ready" }
  | { readonly type: "grads"; readonly sse: number; readonly grads: Float32Array }
  | { readonly type: "error"; readonly message: string }

const port = parentPort
if (port === null) throw new Error("engine worker must run in a worker thread")

let core: WasmCore | null = null

port.on("message", (msg: WorkerRequest) => {
  try {
    if (msg.type === "init") {
      core = new WasmCore(compileKernels(msg.wasmPath), msg.spec)
      port.postMessage({ type: "ready" } satisfies WorkerReply)
      return
    }
    if (core === null) throw new Error("engine worker got a chunk before init")
    if (msg.params !== null) core.setParams(msg.params)
    core.loadChunk(msg.x, msg.y, msg.n)
    const { sse } = core.forwardBackward(msg.n, msg.total, msg.sample0, msg.step, msg.seed)
    const grads = core.gradsView().slice()
    port.postMessage({ type: "grads", sse, grads } satisfies WorkerReply, [grads.buffer])
  } catch (e) {
    port.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) } satisfies WorkerReply)
  }
})
