// The native engine's model: padded parameters, gradients and optimizer slots (the layout of
// src/engine/params.ts), packed matmul operands, and one activation workspace per thread.
// forwardBackward splits a batch into contiguous chunks (chunkBounds in src/engine/raw.ts),
// runs them in parallel and sums the chunk gradients in chunk order, as the wasm engine does.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace lstm {

/** One LSTM layer of the padded layout (float offsets into the parameter vector). */
struct LayerLayout {
  int units, input, up, inp;
  size_t kernel, recurrent, bias;
};

/** The model shape and its padded parameter layout, as computed by paramLayout() in params.ts. */
struct Layout {
  int features, lookback, outputs;
  double dropout;
  std::vector<LayerLayout> layers;
  size_t denseKernel, denseBias, size;
  int topUp;
};

/** A 64-byte aligned float buffer. */
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t n);
  float* data() const { return p_.get(); }
  size_t size() const { return n_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> p_;
  size_t n_ = 0;
};

struct Workspace;

/** Optimizer settings of one update; the host computes the bias corrections in f64. */
struct Update {
  bool sgd;
  /** Global-norm clip factor, or <= 0 for none. */
  double clipScale;
  double lr, lrHat, c2, beta1, beta2, epsilon, decay, momentum;
};

/** Parameters, optimizer slots and per-thread workspaces of one model. */
class Model {
 public:
  Model(Layout layout, const Kernels& kernels, int threads);
  ~Model();

  const Layout& layout() const { return lay_; }
  const Kernels& kernels() const { return k_; }
  int threads() const { return threads_; }
  float* params() const { return params_.data(); }
  float* grads() const { return grads_.data(); }
  float* slotM() const { return m_.data(); }
  float* slotV() const { return v_.data(); }

  /** Rebuilds the packed weight operands after the parameters changed. */
  void repack();
  /** Forward + backward of a batch x[n,T,F], y[n,O]; gradients land in grads(); returns the SSE. */
  double forwardBackward(const float* x, const float* y, int n, uint32_t step, uint32_t seedLo, uint32_t seedHi);
  /** Clip and one optimizer step, then repack. */
  void update(const Update& u);
  /** Predictions out[n,O] without dropout. */
  void predict(const float* x, int n, float* out);

 private:
  void forward(Workspace& w, int B, bool training, uint32_t step, uint32_t sample0, uint32_t seedLo, uint32_t seedHi);
  double backward(Workspace& w, int B, int total, float* grads);

  Layout lay_;
  const Kernels& k_;
  int threads_;
  Buffer params_, grads_, m_, v_;
  struct Packs {
    Buffer fused, recurrentT, kernelT;
  };
  std::vector<Packs> packs_;
  std::vector<std::unique_ptr<Workspace>> work_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace lstm
