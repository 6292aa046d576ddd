import { Worker } from "node:worker_threads"
import { initialWeights } from "./init.js"
import { packParams, unpackParams } from "./params.js"
import { weightInfos } from "../model/spec.js"
import { checkBatch, chunkBounds, type RawEngine } from "./raw.js"
import type { Batch, EngineState, OptimizerSpec, StepResult } from "./types.js"
import type { ModelSpec, NamedTensor } from "../model/spec.js"
import { compileKernels, WasmCore } from "./wasmCore.js"
import type { WorkerReply, WorkerRequest } from "./worker.js"

/** What the wasm engine needs to start. */
export interface WasmEngineConfig {
  readonly spec: ModelSpec
  readonly optimizer: OptimizerSpec
  readonly seed: number
  readonly threads: number
  readonly wasmPath: string
  readonly workerPath: string
  readonly name: string
}

/** A worker thread running its own WasmCore; one request in flight at a time. */
class ChunkWorker {
  private pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | null = null
  private failure: Error | null = null
  /** The params version this worker holds. */
  version = -1

  constructor(private readonly worker: Worker) {
    worker.on("message", (r: WorkerReply) => {
      const p = this.pending
      this.pending = null
      if (p === null) return
      if (r.type === "error") p.reject(new Error(`engine worker: ${r.message}`))
      else p.resolve(r)
    })
    worker.on("error", (e) => this.fail(e))
    worker.on("exit", (code) => this.fail(new Error(`engine worker exited with code ${code}`)))
  }

  private fail(e: Error): void {
    this.failure ??= e
    const p = this.pending
    this.pending = null
    p?.reject(e)
  }

  request(msg: WorkerRequest, transfer: ReadonlyArray<ArrayBuffer> = []): Promise<WorkerReply> {
    if (this.failure !== null) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.worker.postMessage(msg, [...transfer])
    })
  }

  async close(): Promise<void> {
    this.failure ??= new Error("engine worker closed")
    await this.worker.terminate()
  }
}

/**
 * The fused wasm engine. The calling thread computes the first chunk of every batch and owns
 * the master parameters and optimizer slots; threads-1 workers compute the other contiguous
 * chunks. Chunk gradients are summed in chunk order, so a run is bit-deterministic for a
 * given seed and thread count.
 */
export const makeWasmEngine = async (cfg: WasmEngineConfig): Promise<RawEngine> => {
  const { spec, optimizer } = cfg
  const module = compileKernels(cfg.wasmPath)
  const core = new WasmCore(module, spec)
  const flat = new Float32Array(core.layout.size)
  packParams(spec, initialWeights(spec, cfg.seed), flat)
  core.setParams(flat)
  let optimizerStep = 0
  let version = 0
  const workers: Array<ChunkWorker> = []
  try {
    for (let i = 1; i < cfg.threads; i++) {
      const w = new ChunkWorker(new Worker(cfg.workerPath))
      workers.push(w)
      const r = await w.request({ type: "init", wasmPath: cfg.wasmPath, spec })
      if (r.type !== "ready") throw new Error("engine worker did not start")
    }
  } catch (e) {
    await Promise.all(workers.map((w) => w.close()))
    throw e
  }

  const perSampleX = spec.lookback * spec.features

  /** Forward + backward of a whole batch; the summed gradients end up in core's gradients. */
  const forwardBackward = async (batch: Batch): Promise<number> => {
    checkBatch(batch, spec.lookback, spec.features, spec.outputs)
    const n = batch.size
    const bounds = chunkBounds(n, cfg.threads)
    const parts = bounds.length - 1
    const params = parts > 1 ? core.paramsView().slice() : null
    const replies = workers.slice(0, parts - 1).map((w, i) => {
      const lo = bounds[i + 1]!
      const hi = bounds[i + 2]!
      const stale = w.version !== version
      w.version = version
      return w.request({
        type: "chunk",
        params: stale ? params : null,
        x: batch.x.slice(lo * perSampleX, hi * perSampleX),
        y: batch.y.slice(lo * spec.outputs, hi * spec.outputs),
        n: hi - lo,
        total: n,
        sample0: lo,
        step: optimizerStep,
        seed: cfg.seed
      })
    })
    const n0 = bounds[1]!
    core.loadChunk(batch.x, batch.y, n0)
    let sse = core.forwardBackward(n0, n, 0, optimizerStep, cfg.seed).sse
    const results = await Promise.all(replies)
    for (const r of results) {
      if (r.type !== "grads") throw new Error("engine worker sent no gradients")
      core.addGrads(r.grads)
      sse += r.sse
    }
    return sse / (n * spec.outputs)
  }

  const step = async (batch: Batch, lr: number): Promise<StepResult> => {
    const loss = await forwardBackward(batch)
    const gradNorm = core.gradNorm()
    optimizerStep += 1
    core.update(optimizer, lr, optimizerStep, gradNorm)
    version += 1
    return { loss, gradNorm }
  }

  const gradients = async (batch: Batch): Promise<{ loss: number; grads: ReadonlyArray<NamedTensor> }> => {
    const loss = await forwardBackward(batch)
    return { loss, grads: unpackParams(spec, core.gradsView()) }
  }

  const getState = (): EngineState => ({
    weights: unpackParams(spec, core.paramsView()),
    optimizerStep,
    slots: optimizer.kind === "sgd"
      ? unpackParams(spec, core.slotMView(), "/m")
      : [...unpackParams(spec, core.slotMView(), "/m"), ...unpackParams(spec, core.slotVView(), "/v")]
  })

  const setState = (state: EngineState): void => {
    const tmp = new Float32Array(core.layout.size)
    packParams(spec, state.weights, tmp)
    const byName = new Map(state.slots.map((s) => [s.name, s]))
    const slot = (suffix: string): Float32Array => {
      const out = new Float32Array(core.layout.size)
      const tensors = weightInfos(spec).map(({ name, shape }) => {
        const t = byName.get(`${name}${suffix}`)
        const size = shape.reduce((a, b) => a * b, 1)
        return { name, shape, data: t?.data ?? new Float32Array(size) }
      })
      packParams(spec, tensors, out)
      return out
    }
    const m = slot("/m")
    const v = slot("/v")
    core.setParams(tmp)
    core.slotMView().set(m)
    core.slotVView().set(v)
    optimizerStep = state.optimizerStep
    version += 1
  }

  return {
    name: cfg.name,
    threads: cfg.threads,
    step,
    predict: async (x, n) => core.predict(x, n),
    gradients,
    getState,
    setState,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()))
    }
  }
}
