import { create, type MessageInitShape } from "@bufbuild/protobuf"
import { type ModelSpec, weightInfos } from "../model/spec.js"
import type { AttrValueSchema } from "./proto/gen/tensorboard/attr_value_pb.js"
import { type GraphDef, GraphDefSchema } from "./proto/gen/tensorboard/graph_pb.js"
import type { NodeDefSchema } from "./proto/gen/tensorboard/node_def_pb.js"
import { DataType } from "./proto/gen/tensorboard/types_pb.js"

/** The Keras model's name: it scopes every node (`lstm_forecaster/lstm_1/...`), as Keras scopes by model name. */
export const graphScope = "lstm_forecaster"

type Attr = MessageInitShape<typeof AttrValueSchema>
type Node = MessageInitShape<typeof NodeDefSchema>

/** A shape with the batch dimension unknown (-1), as TensorFlow writes it. */
const shape = (dims: ReadonlyArray<number>): Attr => ({
  value: { case: "shape", value: { dim: dims.map((d) => ({ size: BigInt(d) })) } }
})

/** `_output_shapes`: the Graphs tab labels each edge with the shape of the tensor it carries. */
const outputShapes = (...shapes: ReadonlyArray<ReadonlyArray<number>>): Attr => ({
  value: { case: "list", value: { shape: shapes.map((dims) => ({ dim: dims.map((d) => ({ size: BigInt(d) })) })) } }
})

const float: Attr = { value: { case: "type", value: DataType.DT_FLOAT } }
const text = (s: string): Attr => ({ value: { case: "s", value: new TextEncoder().encode(s) } })

/**
 * The model as a TensorFlow GraphDef for TensorBoard's Graphs tab, as Keras' TensorBoard callback
 * writes one: the input placeholder, each LSTM layer (with its kernel, recurrent kernel and bias
 * variables, and its dropout), the dense head (MatMul, BiasAdd) and the output, every node
 * scoped under the model and layer names of the exported tfjs model, with shapes on the edges.
 */
export const modelGraphDef = (spec: ModelSpec): GraphDef => {
  const nodes: Array<Node> = []
  const weights = new Map(weightInfos(spec).map((w) => [w.name, w.shape]))
  const variable = (name: string): string => {
    const dims = weights.get(name) ?? []
    const node = `${graphScope}/${name}`
    nodes.push({ name: node, op: "VariableV2", attr: { dtype: float, shape: shape(dims), _output_shapes: outputShapes(dims) } })
    return node
  }
  const input = "input_1"
  nodes.push({
    name: input,
    op: "Placeholder",
    attr: { dtype: float, shape: shape([-1, spec.lookback, spec.features]), _output_shapes: outputShapes([-1, spec.lookback, spec.features]) }
  })
  let previous = input
  spec.units.forEach((units, l) => {
    const layer = `lstm_${l + 1}`
    const top = l === spec.units.length - 1
    const out = top ? [-1, units] : [-1, spec.lookback, units]
    const kernel = variable(`${layer}/kernel`)
    const recurrent = variable(`${layer}/recurrent_kernel`)
    const bias = variable(`${layer}/bias`)
    const node = `${graphScope}/${layer}/LSTM`
    nodes.push({
      name: node,
      op: "LSTM",
      input: [previous, kernel, recurrent, bias],
      attr: {
        T: float,
        units: { value: { case: "i", value: BigInt(units) } },
        return_sequences: { value: { case: "b", value: !top } },
        activation: text("tanh"),
        recurrent_activation: text("sigmoid"),
        _output_shapes: outputShapes(out)
      }
    })
    previous = node
    if (spec.dropout > 0) {
      const dropout = `${graphScope}/dropout_${l + 1}/Dropout`
      nodes.push({
        name: dropout,
        op: "Dropout",
        input: [previous],
        attr: { T: float, rate: { value: { case: "f", value: spec.dropout } }, _output_shapes: outputShapes(out) }
      })
      previous = dropout
    }
  })
  const kernel = variable("dense/kernel")
  const bias = variable("dense/bias")
  const matmul = `${graphScope}/dense/MatMul`
  const biasAdd = `${graphScope}/dense/BiasAdd`
  nodes.push({ name: matmul, op: "MatMul", input: [previous, kernel], attr: { T: float, _output_shapes: outputShapes([-1, spec.outputs]) } })
  nodes.push({ name: biasAdd, op: "BiasAdd", input: [matmul, bias], attr: { T: float, _output_shapes: outputShapes([-1, spec.outputs]) } })
  nodes.push({ name: "Identity", op: "Identity", input: [biasAdd], attr: { T: float, _output_shapes: outputShapes([-1, spec.outputs]) } })
  // a TensorFlow 2 producer version; TensorBoard reads it but does not check it
  return create(GraphDefSchema, { node: nodes, versions: { producer: 1286 } })
}
