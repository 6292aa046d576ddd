/// <reference types="@webgpu/types" />
import { dropoutThreshold, seedWords } from "../dropout.js"
import { initialWeights } from "../init.js"
import { weightInfos, type ModelSpec, type NamedTensor } from "../../model/spec.js"
import { checkBatch, type RawEngine } from "../raw.js"
import type { Batch, EngineState, OptimizerSpec, StepResult } from "../types.js"
import { GpuFailure } from "./errors.js"
import type { OpenedGpu } from "./gpu.js"
import { gpuLayout } from "./layout.js"
import { gradSegments, kernelShape, kernelSource, MAX_LAYERS, META_VEC4S, metaWords } from "./shaders.js"

// GPUBufferUsage / GPUMapMode values (the WebGPU spec's numbers; dawn.node does not install them as globals)
const MAP_READ = 0x1
const COPY_SRC = 0x4
const COPY_DST = 0x8
const UNIFORM = 0x40
const STORAGE = 0x80
const READ = 0x1

/** Kernel launches per training step: forward, backward, weight gradients, norm, update. */
export const DISPATCHES_PER_STEP = 5

/** Flat Keras-order parameters from named tensors (missing slots read as zeros when `zeroMissing`). */
const flatten = (spec: ModelSpec, tensors: ReadonlyArray<NamedTensor>, suffix: string, zeroMissing: boolean, size: number): Float32Array => {
  const out = new Float32Array(size)
  const byName = new Map(tensors.map((t) => [t.name, t]))
  let off = 0
  for (const { name, shape } of weightInfos(spec)) {
    const n = shape.reduce((a, b) => a * b, 1)
    const t = byName.get(`${name}${suffix}`)
    if (t === undefined && !zeroMissing) throw new Error(`missing weight ${name}${suffix}`)
    if (t !== undefined) {
      if (t.data.length !== n) throw new Error(`weight ${name}${suffix} has ${t.data.length} values, expected ${n}`)
      out.set(t.data, off)
    }
    off += n
  }
  return out
}

/** Named Keras tensors from a flat Keras-order vector. */
const split = (spec: ModelSpec, flat: Float32Array, suffix: string): Array<NamedTensor> => {
  let off = 0
  return weightInfos(spec).map(({ name, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1)
    const data = flat.slice(off, off + n)
    off += n
    return { name: `${name}${suffix}`, shape, data }
  })
}

/** What the WebGPU engine needs: the model, its optimizer, the seed and an open device it now owns. */
export interface WebgpuEngineConfig {
  readonly spec: ModelSpec
  readonly optimizer: OptimizerSpec
  readonly seed: number
  readonly gpu: OpenedGpu
}

/**
 * The fused WebGPU engine: WGSL compute shaders on Dawn, five dispatches and one submit per step.
 * Each forward/backward workgroup owns a slice of the batch and loops over every layer and time
 * step itself; weight gradients are tiled matmuls over the saved activations; one workgroup
 * reduces the loss and the gradient norm; one dispatch clips and updates. Every reduction has a
 * fixed order, so a seed gives bit-identical weights run to run on the same adapter.
 */
export const makeWebgpuEngine = async (cfg: WebgpuEngineConfig): Promise<RawEngine> => {
  const { spec, optimizer } = cfg
  const { device } = cfg.gpu
  if (spec.units.length > MAX_LAYERS) throw new Error(`the webgpu engine supports up to ${MAX_LAYERS} LSTM layers, got ${spec.units.length}`)
  const lay = gpuLayout(spec)
  const shape = kernelShape(spec)
  const P = lay.size
  const T = spec.lookback
  const F = spec.features
  const O = spec.outputs
  const [seedLo, seedHi] = seedWords(cfg.seed)

  let lost: string | null = null
  let closed = false
  let uncaptured: GpuFailure | null = null
  void device.lost.then((info) => {
    if (!closed) lost = `${info.reason}: ${info.message || "no message"}`
  })
  device.onuncapturederror = (event) => {
    const error = event.error
    uncaptured ??= new GpuFailure({ kind: error instanceof GPUOutOfMemoryError ? "out-of-memory" : "validation", detail: error.message })
  }
  const live = (): void => {
    if (lost !== null) throw new GpuFailure({ kind: "device-lost", detail: lost })
    if (closed) throw new GpuFailure({ kind: "device-lost", detail: "the engine was closed" })
  }
  /** Runs `f` inside validation and out-of-memory error scopes; a captured error becomes a GpuFailure. */
  const scoped = async <A>(what: string, f: () => A | Promise<A>): Promise<A> => {
    device.pushErrorScope("out-of-memory")
    device.pushErrorScope("validation")
    const value = await f()
    const validation = await device.popErrorScope()
    const memory = await device.popErrorScope()
    if (memory !== null) throw new GpuFailure({ kind: "out-of-memory", detail: `${what}: ${memory.message}` })
    if (validation !== null) throw new GpuFailure({ kind: "validation", detail: `${what}: ${validation.message}` })
    return value
  }

  const buffers: Array<GPUBuffer> = []
  const buffer = (size: number, usage: number): GPUBuffer => {
    const b = device.createBuffer({ size: Math.max(16, Math.ceil(size / 16) * 16), usage })
    buffers.push(b)
    return b
  }
  const release = (b: GPUBuffer): void => {
    b.destroy()
    buffers.splice(buffers.indexOf(b), 1)
  }

  const code = kernelSource(shape)
  const setup = await scoped("creating the kernels", async () => {
    const module = device.createShaderModule({ code })
    const info = await module.getCompilationInfo()
    const errors = info.messages.filter((m) => m.type === "error")
    if (errors.length > 0) throw new GpuFailure({ kind: "internal", detail: `WGSL did not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join("; ")}` })
    const storage: GPUBindGroupLayoutEntry["buffer"] = { type: "storage" }
    const bindLayout = device.createBindGroupLayout({
      entries: [
        ...Array.from({ length: 7 }, (_, i): GPUBindGroupLayoutEntry => ({ binding: i, visibility: 4, buffer: storage })),
        { binding: 7, visibility: 4, buffer: { type: "uniform" } },
        { binding: 8, visibility: 4, buffer: { type: "uniform" } }
      ]
    })
    const layout = device.createPipelineLayout({ bindGroupLayouts: [bindLayout] })
    const pipeline = (entryPoint: string) => device.createComputePipelineAsync({ layout, compute: { module, entryPoint } })
    const [forward, backward, weightGrads, norm, update] = await Promise.all([
      pipeline("forward"),
      pipeline("backward"),
      pipeline("weightGrads"),
      pipeline("norm"),
      pipeline(optimizer.kind === "sgd" ? "sgd" : "adam")
    ])
    return { bindLayout, forward, backward, weightGrads, norm, update }
  })
  const gradTiles = gradSegments(spec, lay).reduce((a, s) => a + s.tiles, 0)

  const params = buffer(P * 4, STORAGE | COPY_SRC | COPY_DST)
  const grads = buffer(P * 4, STORAGE | COPY_SRC)
  const slots = buffer(2 * P * 4, STORAGE | COPY_SRC | COPY_DST)
  const stats = buffer(16, STORAGE | COPY_SRC)
  const uniform = buffer(80, UNIFORM | COPY_DST)
  const statsRead = buffer(16, MAP_READ | COPY_DST)
  const meta = buffer(META_VEC4S * 16, UNIFORM | COPY_DST)
  device.queue.writeBuffer(meta, 0, metaWords(spec, lay, shape))
  device.queue.writeBuffer(params, 0, flatten(spec, initialWeights(spec, cfg.seed), "", false, P))
  let optimizerStep = 0

  // batch-sized buffers grow with the largest batch seen
  let capacity = 0
  let batchBuf: GPUBuffer | null = null
  let acts: GPUBuffer | null = null
  let head: GPUBuffer | null = null
  let bindGroup: GPUBindGroup | null = null
  const ensureCapacity = async (n: number): Promise<GPUBindGroup> => {
    if (n <= capacity && bindGroup !== null) return bindGroup
    const actBytes = n * lay.sampleFloats * 4
    const maxBinding = device.limits.maxStorageBufferBindingSize
    if (actBytes > maxBinding) {
      throw new GpuFailure({
        kind: "limits",
        detail: `a batch of ${n} needs ${actBytes} bytes of saved activations, more than this adapter's maxStorageBufferBindingSize (${maxBinding}); use a smaller --batch-size`
      })
    }
    const created = await scoped(`allocating buffers for a batch of ${n}`, () => {
      const b = buffer(n * (T * F + O) * 4, STORAGE | COPY_DST)
      const a = buffer(actBytes, STORAGE)
      const h = buffer(n * lay.headFloats * 4, STORAGE | COPY_SRC)
      const group = device.createBindGroup({
        layout: setup.bindLayout,
        entries: [params, grads, slots, b, a, h, stats, uniform, meta].map((resource, binding) => ({ binding, resource: { buffer: resource } }))
      })
      return { b, a, h, group }
    })
    for (const old of [batchBuf, acts, head]) if (old !== null) release(old)
    batchBuf = created.b
    acts = created.a
    head = created.h
    bindGroup = created.group
    capacity = n
    return created.group
  }

  const uniforms = (n: number, training: boolean, lr: number): ArrayBuffer => {
    const data = new ArrayBuffer(80)
    const u32 = new Uint32Array(data)
    const f32 = new Float32Array(data)
    const nextStep = optimizerStep + 1
    u32.set([n, optimizerStep >>> 0, seedLo, seedHi, training ? 1 : 0, dropoutThreshold(spec.dropout), capacity * T * F, optimizer.clipNorm === null ? 0 : 1])
    f32.set([
      spec.dropout > 0 ? 1 / (1 - spec.dropout) : 1,
      2 / (n * O),
      1 / (n * O),
      optimizer.clipNorm ?? 0,
      lr / (1 - Math.pow(optimizer.beta1, nextStep)),
      1 / (1 - Math.pow(optimizer.beta2, nextStep)),
      optimizer.beta1,
      optimizer.beta2,
      optimizer.epsilon,
      optimizer.kind === "adamw" ? lr * optimizer.weightDecay : 0,
      lr,
      optimizer.momentum
    ], 8)
    return data
  }

  const loadBatch = async (batch: Batch): Promise<GPUBindGroup> => {
    checkBatch(batch, T, F, O)
    const group = await ensureCapacity(batch.size)
    device.queue.writeBuffer(batchBuf!, 0, batch.x, 0, batch.size * T * F)
    device.queue.writeBuffer(batchBuf!, capacity * T * F * 4, batch.y, 0, batch.size * O)
    return group
  }

  /** Encodes forward + backward + weight gradients (+ norm, + update) of a loaded batch. */
  const encodeTraining = (encoder: GPUCommandEncoder, group: GPUBindGroup, n: number, update: boolean): void => {
    const pass = encoder.beginComputePass()
    pass.setBindGroup(0, group)
    const groups = Math.ceil(n / shape.samplesPerGroup)
    pass.setPipeline(setup.forward)
    pass.dispatchWorkgroups(groups)
    pass.setPipeline(setup.backward)
    pass.dispatchWorkgroups(groups)
    pass.setPipeline(setup.weightGrads)
    pass.dispatchWorkgroups(gradTiles)
    pass.setPipeline(setup.norm)
    pass.dispatchWorkgroups(1)
    if (update) {
      pass.setPipeline(setup.update)
      pass.dispatchWorkgroups(Math.ceil(P / 256))
    }
    pass.end()
  }

  /** Maps a MAP_READ buffer, copies `floats` out and unmaps; a lost device or an uncaptured error fails here. */
  const readBack = async (target: GPUBuffer, floats: number): Promise<Float32Array> => {
    try {
      await target.mapAsync(READ, 0, Math.ceil((floats * 4) / 16) * 16)
    } catch (e) {
      live()
      throw new GpuFailure({ kind: "internal", detail: `reading results back failed: ${e instanceof Error ? e.message : String(e)}` })
    }
    const out = new Float32Array(target.getMappedRange(0, Math.ceil((floats * 4) / 16) * 16).slice(0, floats * 4))
    target.unmap()
    live()
    const failure = uncaptured
    if (failure !== null) throw failure
    return out
  }

  const step = async (batch: Batch, lr: number): Promise<StepResult> => {
    live()
    const group = await loadBatch(batch)
    device.queue.writeBuffer(uniform, 0, uniforms(batch.size, true, lr))
    const encoder = device.createCommandEncoder()
    encodeTraining(encoder, group, batch.size, true)
    encoder.copyBufferToBuffer(stats, 0, statsRead, 0, 16)
    device.queue.submit([encoder.finish()])
    optimizerStep += 1
    const s = await readBack(statsRead, 2)
    return { loss: s[0]!, gradNorm: s[1]! }
  }

  const gradients = async (batch: Batch): Promise<{ loss: number; grads: ReadonlyArray<NamedTensor> }> => {
    live()
    const group = await loadBatch(batch)
    device.queue.writeBuffer(uniform, 0, uniforms(batch.size, true, 0))
    const read = buffer(P * 4 + 16, MAP_READ | COPY_DST)
    try {
      const encoder = device.createCommandEncoder()
      encodeTraining(encoder, group, batch.size, false)
      encoder.copyBufferToBuffer(grads, 0, read, 0, P * 4)
      encoder.copyBufferToBuffer(stats, 0, read, Math.ceil(P / 4) * 16, 16)
      device.queue.submit([encoder.finish()])
      const flat = await readBack(read, Math.ceil(P / 4) * 4 + 1)
      return { loss: flat[Math.ceil(P / 4) * 4]!, grads: split(spec, flat.subarray(0, P), "") }
    } finally {
      release(read)
    }
  }

  const predict = async (x: Float32Array, n: number): Promise<Float32Array> => {
    live()
    if (n === 0) return new Float32Array(0)
    const chunk = Math.max(capacity, Math.min(n, 256))
    await ensureCapacity(chunk)
    const chunks = Math.ceil(n / chunk)
    const bytesPerChunk = chunk * lay.headFloats * 4
    const read = buffer(chunks * bytesPerChunk, MAP_READ | COPY_DST)
    try {
      for (let c = 0; c < chunks; c++) {
        const lo = c * chunk
        const size = Math.min(chunk, n - lo)
        device.queue.writeBuffer(batchBuf!, 0, x, lo * T * F, size * T * F)
        device.queue.writeBuffer(uniform, 0, uniforms(size, false, 0))
        const encoder = device.createCommandEncoder()
        const pass = encoder.beginComputePass()
        pass.setBindGroup(0, bindGroup!)
        pass.setPipeline(setup.forward)
        pass.dispatchWorkgroups(Math.ceil(size / shape.samplesPerGroup))
        pass.end()
        encoder.copyBufferToBuffer(head!, 0, read, c * bytesPerChunk, size * lay.headFloats * 4)
        device.queue.submit([encoder.finish()])
      }
      const all = await readBack(read, chunks * chunk * lay.headFloats)
      const out = new Float32Array(n * O)
      for (let b = 0; b < n; b++) {
        const c = Math.floor(b / chunk)
        const base = c * chunk * lay.headFloats + (b - c * chunk) * lay.headFloats
        for (let o = 0; o < O; o++) out[b * O + o] = all[base + o]!
      }
      return out
    } finally {
      release(read)
    }
  }

  const getState = async (): Promise<EngineState> => {
    live()
    const read = buffer(3 * P * 4, MAP_READ | COPY_DST)
    try {
      const encoder = device.createCommandEncoder()
      encoder.copyBufferToBuffer(params, 0, read, 0, P * 4)
      encoder.copyBufferToBuffer(slots, 0, read, P * 4, 2 * P * 4)
      device.queue.submit([encoder.finish()])
      const flat = await readBack(read, 3 * P)
      const m = split(spec, flat.subarray(P, 2 * P), "/m")
      return {
        weights: split(spec, flat.subarray(0, P), ""),
        optimizerStep,
        slots: optimizer.kind === "sgd" ? m : [...m, ...split(spec, flat.subarray(2 * P, 3 * P), "/v")]
      }
    } finally {
      release(read)
    }
  }

  const setState = (state: EngineState): void => {
    live()
    const w = flatten(spec, state.weights, "", false, P)
    const slotData = new Float32Array(2 * P)
    slotData.set(flatten(spec, state.slots, "/m", true, P), 0)
    slotData.set(flatten(spec, state.slots, "/v", true, P), P)
    device.queue.writeBuffer(params, 0, w)
    device.queue.writeBuffer(slots, 0, slotData)
    optimizerStep = state.optimizerStep
  }

  return {
    name: "webgpu",
    threads: 1,
    step,
    predict,
    gradients,
    getState,
    setState,
    // every buffer comes from `buffer` and leaves through `release` or `close`
    deviceMemoryBytes: () => buffers.reduce((bytes, b) => bytes + b.size, 0),
    close: async () => {
      if (closed) return
      closed = true
      for (const b of [...buffers]) b.destroy()
      buffers.length = 0
      device.destroy()
    }
  }
}
