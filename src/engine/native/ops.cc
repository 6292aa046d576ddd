// See ops.h. Each function is a line-for-line port of its namesake in src/engine/assembly/lstm.ts.
#include "ops.h"

#include <cmath>
#include <cstring>

namespace lstm {

void packInput(const float* src, float* dst, int B, int T, int F, int Fp) {
  for (int t = 0; t < T; t++) {
    for (int b = 0; b < B; b++) {
      const float* s = src + (static_cast<size_t>(b) * T + t) * F;
      float* d = dst + (static_cast<size_t>(t) * B + b) * Fp;
      for (int f = 0; f < F; f++) d[f] = s[f];
      for (int f = F; f < Fp; f++) d[f] = 0.0f;
    }
  }
}

static inline uint32_t fmix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static inline uint32_t combine(uint32_t h, uint32_t v) { return fmix(h ^ (v * 0x9e3779b1u + 0x7f4a7c15u)); }

double dropoutUniform(uint32_t seedLo, uint32_t seedHi, uint32_t step, uint32_t sample, uint32_t layer, uint32_t t, uint32_t unit) {
  uint32_t h = combine(seedLo, seedHi);
  h = combine(h, step);
  h = combine(h, sample);
  h = combine(h, (layer << 20) ^ t);
  h = combine(h, unit);
  return static_cast<double>(h >> 8) * 5.9604644775390625e-8;
}

void dropoutMask(float* mask, int t0, int T, int B, int U, int Up, uint32_t seedLo, uint32_t seedHi, uint32_t step,
                 uint32_t sample0, uint32_t layer, double rate, float keepScale) {
  float* p = mask;
  for (int t = t0; t < t0 + T; t++) {
    for (int b = 0; b < B; b++) {
      for (int j = 0; j < Up; j++) {
        float v = 0.0f;
        if (j < U && dropoutUniform(seedLo, seedHi, step, sample0 + static_cast<uint32_t>(b), layer, static_cast<uint32_t>(t),
                                    static_cast<uint32_t>(j)) >= rate) {
          v = keepScale;
        }
        *p++ = v;
      }
    }
  }
}

void mulInto(float* dst, const float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = a[i] * b[i];
}

void addInto(float* dst, const float* src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = dst[i] + src[i];
}

void scale(float* p, size_t n, float s) {
  for (size_t i = 0; i < n; i++) p[i] = p[i] * s;
}

double sumSquares(const float* p, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    const double v = p[i];
    s += v * v;
  }
  return s;
}

double head(const float* hl, const float* wd, const float* bd, float* pred, const float* y, int B, int Up, int O,
            float gradScale, float* dwd, float* dbd, float* dhl) {
  double sse = 0;
  if (y != nullptr) {
    std::memset(dwd, 0, sizeof(float) * static_cast<size_t>(Up) * O);
    std::memset(dbd, 0, sizeof(float) * static_cast<size_t>(O));
  }
  for (int b = 0; b < B; b++) {
    const float* hr = hl + static_cast<size_t>(b) * Up;
    for (int o = 0; o < O; o++) {
      float s = bd[o];
      for (int k = 0; k < Up; k++) s += hr[k] * wd[static_cast<size_t>(k) * O + o];
      pred[static_cast<size_t>(b) * O + o] = s;
    }
    if (y == nullptr) continue;
    float* dr = dhl + static_cast<size_t>(b) * Up;
    for (int k = 0; k < Up; k++) dr[k] = 0.0f;
    for (int o = 0; o < O; o++) {
      const float e = pred[static_cast<size_t>(b) * O + o] - y[static_cast<size_t>(b) * O + o];
      sse += static_cast<double>(e) * static_cast<double>(e);
      const float d = gradScale * e;
      dbd[o] = dbd[o] + d;
      for (int k = 0; k < Up; k++) {
        const size_t i = static_cast<size_t>(k) * O + o;
        dwd[i] = dwd[i] + hr[k] * d;
        dr[k] = dr[k] + wd[i] * d;
      }
    }
  }
  return sse;
}

void adam(float* w, const float* g, float* m, float* v, size_t n, float lrHat, float c2, float b1, float b2, float eps,
          float decay) {
  const float c1 = 1.0f - b1;
  const float cb2 = 1.0f - b2;
  const float keep = 1.0f - decay;
  // the wasm code's 4-lane body: (1-b2) * (g*g); lrHat * m / den
  const size_t n4 = n & ~static_cast<size_t>(3);
  for (size_t i = 0; i < n4; i++) {
    const float gg = g[i];
    const float mm = b1 * m[i] + c1 * gg;
    const float vv = b2 * v[i] + cb2 * (gg * gg);
    m[i] = mm;
    v[i] = vv;
    const float den = std::sqrt(vv * c2) + eps;
    w[i] = w[i] * keep - (lrHat * mm) / den;
  }
  // its scalar tail: (1-b2) * g * g, associated left to right
  for (size_t i = n4; i < n; i++) {
    const float gg = g[i];
    const float mm = b1 * m[i] + c1 * gg;
    const float vv = b2 * v[i] + cb2 * gg * gg;
    m[i] = mm;
    v[i] = vv;
    w[i] = w[i] * keep - lrHat * mm / (std::sqrt(vv * c2) + eps);
  }
}

void sgd(float* w, const float* g, float* m, size_t n, float lr, float momentum) {
  for (size_t i = 0; i < n; i++) {
    const float mm = momentum * m[i] + g[i];
    m[i] = mm;
    w[i] = w[i] - lr * mm;
  }
}

}  // namespace lstm
