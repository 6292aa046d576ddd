// Element-wise and small kernels of the native engine (plain C++, compiled for the baseline
// x86-64 target with -ffp-contract=off, so every multiply and add rounds as the wasm code's do).
#pragma once
#include <cstddef>
#include <cstdint>

namespace lstm {

/** Reorders x[B,T,F] into dst[T,B,Fp], zero-filling the padded features. */
void packInput(const float* src, float* dst, int B, int T, int F, int Fp);
/** Counter-based uniform in [0,1) with 24 random bits; mirrors src/engine/dropout.ts exactly. */
double dropoutUniform(uint32_t seedLo, uint32_t seedHi, uint32_t step, uint32_t sample, uint32_t layer, uint32_t t, uint32_t unit);
/** Inverted-dropout mask [T,B,Up] for steps t0.. t0+T-1: keepScale where a unit survives, else 0. */
void dropoutMask(float* mask, int t0, int T, int B, int U, int Up, uint32_t seedLo, uint32_t seedHi, uint32_t step,
                 uint32_t sample0, uint32_t layer, double rate, float keepScale);
/** dst[n] = a[n] * b[n]. */
void mulInto(float* dst, const float* a, const float* b, size_t n);
/** dst[n] += src[n]. */
void addInto(float* dst, const float* src, size_t n);
/** p[n] *= s. */
void scale(float* p, size_t n, float s);
/** Sum of squares in f64, index order. */
double sumSquares(const float* p, size_t n);
/**
 * Dense head: pred[B,O] = hl[B,Up] @ wd + bd; with y, returns the SSE and writes dwd, dbd
 * (overwritten) and dhl with dL/dpred = gradScale * (pred - y).
 */
double head(const float* hl, const float* wd, const float* bd, float* pred, const float* y, int B, int Up, int O,
            float gradScale, float* dwd, float* dbd, float* dhl);
/** Adam / AdamW (tf.train.adam semantics), as adam() in lstm.ts. */
void adam(float* w, const float* g, float* m, float* v, size_t n, float lrHat, float c2, float b1, float b2, float eps,
          float decay);
/** SGD with momentum: m = momentum m + g; w -= lr m. */
void sgd(float* w, const float* g, float* m, size_t n, float lr, float momentum);

}  // namespace lstm
