// The compute kernels of the native engine, one table per instruction set. The AVX-512 and
// AVX2 tables come from the same template source (kernels.inc) compiled twice with different
// target flags; the engine (core.cc) picks one at run time from the CPU's features.
//
// Every kernel computes each output element with the same chain of operations in the same
// order, whatever the vector width: a matmul element is bias (or 0, or C) followed by one FMA
// per k in index order. So both tables give identical bits, and both match the WebAssembly
// relaxed-SIMD kernels (src/engine/assembly/lstm.ts), whose f32x4.relaxed_madd is an FMA here.
#pragma once
#include <cstddef>

namespace lstm {

/** A kernel table for one instruction set. */
struct Kernels {
  const char* isa;
  /** Column width of a packed B panel (the last panel of a matrix may be narrower, a multiple of 8). */
  int panel;
  /**
   * Packs B[K,N] into column panels: panel starting at column j0 of width w holds
   * dst[j0*K + k*w + q] = B[k, j0+q]. B = src[K,N] when trans is false, src[N,K]^T otherwise.
   */
  void (*packB)(const float* src, float* dst, int K, int N, bool trans);
  /**
   * C[M,N] = init + [A1 | A2] @ B with B packed by packB over K1 + K2 rows; A1 is [M,K1]
   * (row stride lda1), A2 is [M,K2] (stride lda2, K2 may be 0). init = C when acc, else the
   * row vector bias when not null, else 0.
   */
  void (*mm)(const float* a1, int lda1, int K1, const float* a2, int lda2, int K2, const float* bp, float* c, int ldc,
             const float* bias, int M, int N, bool acc);
  /**
   * C[K1+K2, N] = [A1 | A2]^T @ B[M,N], summed over rows in index order: A1 is [M,K1], A2 holds
   * rows zeroRows.. of a [M,K2] matrix whose first zeroRows rows are zeros (K2 may be 0).
   * colSums, when not null, receives B's column sums (row by row, in index order).
   */
  void (*mmAtB)(const float* a1, int K1, const float* a2, int K2, int zeroRows, const float* b, float* c, int M, int N,
                float* colSums);
  /** One LSTM step's activations from pre-activations z[B,4U] (in place) and cell update; cPrev may be null. */
  void (*gatesForward)(float* z, const float* cPrev, float* c, float* tc, float* h, int B, int U);
  /** Backward through one step: dG[B,4U] from the gates, dh = dhIn + dhRec (either may be null), dc in place. */
  void (*gatesBackward)(const float* gates, const float* cPrev, const float* tc, const float* dhIn, const float* dhRec,
                        float* dc, float* dG, int B, int U);
  /** Lanes of the wide vector. */
  int lanes;
  /** 16 independent FMA chains of wide vectors, iters times (writes `lanes` floats to sink): the peak-rate probe. */
  void (*fmaLoop)(long iters, float* sink);
};

/** The AVX-512 (F, BW, VL) + FMA table: 16-wide matmul panels. */
const Kernels& avx512Kernels();
/** The AVX2 + FMA table: 8-wide vectors, 16-column panels. */
const Kernels& avx2Kernels();

/** Gate kernels (8-wide AVX2 + FMA); shared by both tables. */
void gatesForward8(float* z, const float* cPrev, float* c, float* tc, float* h, int B, int U);
/** See Kernels::gatesBackward. */
void gatesBackward8(const float* gates, const float* cPrev, const float* tc, const float* dhIn, const float* dhRec,
                    float* dc, float* dG, int B, int U);

}  // namespace lstm
