// See model.h. forward and backward are ports of WasmCore.forward / forwardBackward
// (src/engine/wasmCore.ts) over the kernel table chosen at run time.
#include "model.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

#include "ops.h"

namespace lstm {

Buffer::Buffer(size_t n) : n_(n) {
  const size_t bytes = ((std::max<size_t>(n, 1) * sizeof(float)) + 63) / 64 * 64;
  float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  p_.reset(p);
}

/** Activations of up to `capacity` samples, and the gradients of its chunk (parts > 0). */
struct Workspace {
  int capacity = 0;
  Buffer xRaw, yRaw, x0, pred, dhl, dhTop, dhRec, dc, zeroH, grads;
  struct Layer {
    Buffer z, c, tc, h, mask, y, dG, dHin;
    bool dropout = false;
    float* out() const { return dropout ? y.data() : h.data(); }
  };
  std::vector<Layer> layers;

  void ensure(const Layout& lay, int n, bool ownGrads) {
    if (ownGrads && grads.size() == 0) grads = Buffer(lay.size);
    if (n <= capacity) return;
    const size_t B = static_cast<size_t>(std::max(n, 8));
    const size_t T = static_cast<size_t>(lay.lookback);
    const size_t Fp = static_cast<size_t>(lay.layers[0].inp);
    int maxUp = 0;
    for (const auto& L : lay.layers) maxUp = std::max(maxUp, L.up);
    xRaw = Buffer(B * T * lay.features);
    yRaw = Buffer(B * lay.outputs);
    x0 = Buffer(T * B * Fp);
    pred = Buffer(B * lay.outputs);
    dhl = Buffer(B * lay.topUp);
    dhTop = Buffer(B * lay.topUp);
    dhRec = Buffer(B * maxUp);
    dc = Buffer(B * maxUp);
    zeroH = Buffer(B * maxUp);
    const bool dropout = lay.dropout > 0;
    layers.clear();
    layers.resize(lay.layers.size());
    for (size_t l = 0; l < lay.layers.size(); l++) {
      const size_t up = static_cast<size_t>(lay.layers[l].up);
      Layer& w = layers[l];
      w.z = Buffer(T * B * 4 * up);
      w.c = Buffer(T * B * up);
      w.tc = Buffer(T * B * up);
      w.h = Buffer(T * B * up);
      w.dropout = dropout;
      if (dropout) {
        w.mask = Buffer(T * B * up);
        w.y = Buffer(T * B * up);
      }
      w.dG = Buffer(T * B * 4 * up);
      if (l + 1 < lay.layers.size()) w.dHin = Buffer(T * B * up);
    }
    capacity = static_cast<int>(B);
  }
};

Model::Model(Layout layout, const Kernels& kernels, int threads)
    : lay_(std::move(layout)), k_(kernels), threads_(std::max(1, threads)) {
  params_ = Buffer(lay_.size);
  grads_ = Buffer(lay_.size);
  m_ = Buffer(lay_.size);
  v_ = Buffer(lay_.size);
  for (const auto& L : lay_.layers) {
    const size_t up = static_cast<size_t>(L.up);
    packs_.push_back({Buffer((L.inp + up) * 4 * up), Buffer(4 * up * up), Buffer(4 * up * L.inp)});
  }
  for (int i = 0; i < threads_; i++) work_.push_back(std::make_unique<Workspace>());
  if (threads_ > 1) pool_ = std::make_unique<Pool>(threads_ - 1);
  repack();
}

Model::~Model() = default;

void Model::repack() {
  for (size_t l = 0; l < lay_.layers.size(); l++) {
    const LayerLayout& L = lay_.layers[l];
    const float* kern = params() + L.kernel;
    const float* rec = params() + L.recurrent;
    // [kernel; recurrent kernel] are adjacent: one [inp + up, 4up] operand
    k_.packB(kern, packs_[l].fused.data(), L.inp + L.up, 4 * L.up, false);
    k_.packB(rec, packs_[l].recurrentT.data(), 4 * L.up, L.up, true);
    if (l > 0) k_.packB(kern, packs_[l].kernelT.data(), 4 * L.up, L.inp, true);
  }
}

void Model::forward(Workspace& w, int B, bool training, uint32_t step, uint32_t sample0, uint32_t seedLo, uint32_t seedHi) {
  const int T = lay_.lookback;
  const int nl = static_cast<int>(lay_.layers.size());
  packInput(w.xRaw.data(), w.x0.data(), B, T, lay_.features, lay_.layers[0].inp);
  const double rate = lay_.dropout;
  const float keep = static_cast<float>(1 / (1 - rate));
  for (int l = 0; l < nl; l++) {
    const LayerLayout& L = lay_.layers[l];
    Workspace::Layer& buf = w.layers[l];
    const int G = 4 * L.up;
    const float* xin = l == 0 ? w.x0.data() : w.layers[l - 1].out();
    const size_t zs = static_cast<size_t>(B) * G;
    const size_t hs = static_cast<size_t>(B) * L.up;
    const size_t xs = static_cast<size_t>(B) * L.inp;
    const float* bias = params() + L.bias;
    for (int t = 0; t < T; t++) {
      float* zt = buf.z.data() + t * zs;
      // z_t = bias + [x_t | h_{t-1}] @ [kernel; recurrent] (h_{-1} = zeros, as in the wasm kernels)
      const float* hPrev = t > 0 ? buf.h.data() + (t - 1) * hs : w.zeroH.data();
      k_.mm(xin + t * xs, L.inp, L.inp, hPrev, L.up, L.up, packs_[l].fused.data(), zt, G, bias, B, G, false);
      k_.gatesForward(zt, t > 0 ? buf.c.data() + (t - 1) * hs : nullptr, buf.c.data() + t * hs, buf.tc.data() + t * hs,
                      buf.h.data() + t * hs, B, L.up);
    }
    if (buf.dropout) {
      const bool top = l == nl - 1;
      if (training && rate > 0) {
        // the top layer feeds the head through its last step only
        const int t0 = top ? T - 1 : 0;
        const size_t from = t0 * hs;
        dropoutMask(buf.mask.data() + from, t0, T - t0, B, L.units, L.up, seedLo, seedHi, step, sample0,
                    static_cast<uint32_t>(l), rate, keep);
        mulInto(buf.y.data() + from, buf.h.data() + from, buf.mask.data() + from, (T - t0) * hs);
      } else {
        std::memcpy(buf.y.data(), buf.h.data(), sizeof(float) * T * hs);
      }
    }
  }
}

double Model::backward(Workspace& w, int B, int total, float* grads) {
  const int T = lay_.lookback;
  const int nl = static_cast<int>(lay_.layers.size());
  const int top = lay_.topUp;
  const int O = lay_.outputs;
  const float* last = w.layers[nl - 1].out() + static_cast<size_t>(T - 1) * B * top;
  const float gradScale = static_cast<float>(2.0 / (static_cast<double>(total) * O));
  const double sse = head(last, params() + lay_.denseKernel, params() + lay_.denseBias, w.pred.data(), w.yRaw.data(), B, top, O,
                          gradScale, grads + lay_.denseKernel, grads + lay_.denseBias, w.dhl.data());
  const Workspace::Layer& topBuf = w.layers[nl - 1];
  const float* dhTop = w.dhl.data();
  if (topBuf.dropout) {
    mulInto(w.dhTop.data(), w.dhl.data(), topBuf.mask.data() + static_cast<size_t>(T - 1) * B * top, static_cast<size_t>(B) * top);
    dhTop = w.dhTop.data();
  }
  for (int l = nl - 1; l >= 0; l--) {
    const LayerLayout& L = lay_.layers[l];
    Workspace::Layer& buf = w.layers[l];
    const int G = 4 * L.up;
    const size_t zs = static_cast<size_t>(B) * G;
    const size_t hs = static_cast<size_t>(B) * L.up;
    std::memset(w.dc.data(), 0, sizeof(float) * hs);
    for (int t = T - 1; t >= 0; t--) {
      const float* dhIn = l == nl - 1 ? (t == T - 1 ? dhTop : nullptr) : buf.dHin.data() + t * hs;
      k_.gatesBackward(buf.z.data() + t * zs, t > 0 ? buf.c.data() + (t - 1) * hs : nullptr, buf.tc.data() + t * hs, dhIn,
                       t < T - 1 ? w.dhRec.data() : nullptr, w.dc.data(), buf.dG.data() + t * zs, B, L.up);
      if (t > 0) k_.mm(buf.dG.data() + t * zs, G, G, nullptr, 0, 0, packs_[l].recurrentT.data(), w.dhRec.data(), L.up, nullptr, B, L.up, false);
    }
    // weight gradients as single big matmuls over all (t, b) rows
    const float* xin = l == 0 ? w.x0.data() : w.layers[l - 1].out();
    // [kernel; recurrent] gradients (adjacent) in one pass over dG: [x_t | h_{t-1}]^T dG_t, h_{-1} = 0
    // and the bias gradient (dG's column sums) in the same pass
    k_.mmAtB(xin, L.inp, buf.h.data(), L.up, B, buf.dG.data(), grads + L.kernel, T * B, G, grads + L.bias);
    if (l > 0) {
      Workspace::Layer& below = w.layers[l - 1];
      k_.mm(buf.dG.data(), G, G, nullptr, 0, 0, packs_[l].kernelT.data(), below.dHin.data(), L.inp, nullptr, T * B, L.inp, false);
      if (below.dropout) mulInto(below.dHin.data(), below.dHin.data(), below.mask.data(), static_cast<size_t>(T) * B * L.inp);
    }
  }
  return sse;
}

double Model::forwardBackward(const float* x, const float* y, int n, uint32_t step, uint32_t seedLo, uint32_t seedHi) {
  const int parts = std::max(1, std::min(threads_, n));
  std::vector<int> bounds(parts + 1);
  for (int i = 0; i <= parts; i++) bounds[i] = static_cast<int>((static_cast<int64_t>(i) * n) / parts);
  std::vector<double> sse(parts, 0.0);
  const size_t perX = static_cast<size_t>(lay_.lookback) * lay_.features;
  const auto job = [&](int p) {
    Workspace& w = *work_[p];
    const int lo = bounds[p];
    const int B = bounds[p + 1] - lo;
    w.ensure(lay_, B, p > 0);
    std::memcpy(w.xRaw.data(), x + lo * perX, sizeof(float) * B * perX);
    std::memcpy(w.yRaw.data(), y + static_cast<size_t>(lo) * lay_.outputs, sizeof(float) * B * lay_.outputs);
    forward(w, B, true, step, static_cast<uint32_t>(lo), seedLo, seedHi);
    sse[p] = backward(w, B, n, p == 0 ? grads() : w.grads.data());
  };
  if (parts == 1) {
    job(0);
  } else {
    const std::string error = pool_->run(parts, job);
    if (!error.empty()) throw std::runtime_error(error);
  }
  double total = sse[0];
  for (int p = 1; p < parts; p++) {
    addInto(grads(), work_[p]->grads.data(), lay_.size);
    total += sse[p];
  }
  return total;
}

void Model::update(const Update& u) {
  const size_t P = lay_.size;
  if (u.clipScale > 0) scale(grads(), P, static_cast<float>(u.clipScale));
  if (u.sgd) {
    sgd(params(), grads(), slotM(), P, static_cast<float>(u.lr), static_cast<float>(u.momentum));
  } else {
    adam(params(), grads(), slotM(), slotV(), P, static_cast<float>(u.lrHat), static_cast<float>(u.c2), static_cast<float>(u.beta1),
         static_cast<float>(u.beta2), static_cast<float>(u.epsilon), static_cast<float>(u.decay));
  }
  repack();
}

void Model::predict(const float* x, int n, float* out) {
  Workspace& w = *work_[0];
  w.ensure(lay_, std::min(std::max(n, 1), 256), false);
  const size_t per = static_cast<size_t>(lay_.lookback) * lay_.features;
  const int nl = static_cast<int>(lay_.layers.size());
  for (int s = 0; s < n; s += w.capacity) {
    const int B = std::min(w.capacity, n - s);
    std::memcpy(w.xRaw.data(), x + s * per, sizeof(float) * B * per);
    forward(w, B, false, 0, 0, 0, 0);
    const float* last = w.layers[nl - 1].out() + static_cast<size_t>(lay_.lookback - 1) * B * lay_.topUp;
    head(last, params() + lay_.denseKernel, params() + lay_.denseBias, w.pred.data(), nullptr, B, lay_.topUp, lay_.outputs, 0,
         nullptr, nullptr, nullptr);
    std::memcpy(out + static_cast<size_t>(s) * lay_.outputs, w.pred.data(), sizeof(float) * B * lay_.outputs);
  }
}

}  // namespace lstm
