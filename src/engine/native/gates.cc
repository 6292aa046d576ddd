// LSTM gate kernels, 8 lanes wide (AVX2 + FMA; compiled with -mavx2 -mfma). Operation for
// operation the same as gatesForward / gatesBackward in src/engine/assembly/lstm.ts: the same
// Cephes-style expf, the same FMAs where the wasm code uses relaxed_madd and separate
// multiplies and adds elsewhere, so results match the relaxed-SIMD wasm engine bit for bit.
#include <immintrin.h>

#include <cstddef>

#include "kernels.h"

namespace lstm {
namespace {

// Constants go through double first, as AssemblyScript parses them, then round to float.
// Macros, not globals: a global __m256 would run AVX code when the addon loads on any CPU.
#define K(v) _mm256_set1_ps(static_cast<float>(v))
#define kLo K(-87.0)
#define kHi K(88.0)
#define kMagic K(12582912.0)
#define kLog2e K(1.44269504088896341)
#define kLn2Hi K(0.693359375)
#define kLn2Lo K(-2.12194440e-4)
#define kP0 K(1.9875691500e-4)
#define kP1 K(1.3981999507e-3)
#define kP2 K(8.3334519073e-3)
#define kP3 K(4.1665795894e-2)
#define kP4 K(1.6666665459e-1)
#define kP5 K(5.0000001201e-1)
#define kOne _mm256_set1_ps(1.0f)
#define kTwo _mm256_set1_ps(2.0f)
#define kExpBias _mm256_set1_epi32(127 - 0x4b400000)
#define kSign _mm256_set1_ps(-0.0f)

// exp(x): x = n ln2 + r, e^r by a degree-6 polynomial, 2^n from the exponent bits.
inline __m256 vexp(__m256 x) {
  // wasm pmax(x, lo) = x < lo ? lo : x and pmin(x, hi) = hi < x ? hi : x
  x = _mm256_min_ps(kHi, _mm256_max_ps(kLo, x));
  const __m256 nm = _mm256_fmadd_ps(x, kLog2e, kMagic);
  const __m256 n = _mm256_sub_ps(nm, kMagic);
  __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, kLn2Hi));
  r = _mm256_sub_ps(r, _mm256_mul_ps(n, kLn2Lo));
  __m256 p = kP0;
  p = _mm256_fmadd_ps(p, r, kP1);
  p = _mm256_fmadd_ps(p, r, kP2);
  p = _mm256_fmadd_ps(p, r, kP3);
  p = _mm256_fmadd_ps(p, r, kP4);
  p = _mm256_fmadd_ps(p, r, kP5);
  const __m256 e = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), kOne);
  const __m256i pow2 = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(nm), kExpBias), 23);
  return _mm256_mul_ps(e, _mm256_castsi256_ps(pow2));
}

inline __m256 vsigmoid(__m256 x) { return _mm256_div_ps(kOne, _mm256_add_ps(kOne, vexp(_mm256_xor_ps(x, kSign)))); }

inline __m256 vtanh(__m256 x) {
  return _mm256_sub_ps(kOne, _mm256_div_ps(kTwo, _mm256_add_ps(vexp(_mm256_add_ps(x, x)), kOne)));
}

inline __m256 ld(const float* p) { return _mm256_loadu_ps(p); }
inline void st(float* p, __m256 v) { _mm256_storeu_ps(p, v); }

}  // namespace

void gatesForward8(float* z, const float* cPrev, float* c, float* tc, float* h, int B, int U) {
  const size_t u = static_cast<size_t>(U);
  for (int b = 0; b < B; b++) {
    float* zr = z + static_cast<size_t>(b) * 4 * u;
    const size_t off = static_cast<size_t>(b) * u;
    // the four activations first (independent chains), then the cell: see lstm.ts
    for (size_t j = 0; j < u; j += 8) {
      float* zi = zr + j;
      st(zi, vsigmoid(ld(zi)));
      st(zi + u, vsigmoid(ld(zi + u)));
      st(zi + 2 * u, vtanh(ld(zi + 2 * u)));
      st(zi + 3 * u, vsigmoid(ld(zi + 3 * u)));
    }
    for (size_t j = 0; j < u; j += 8) {
      const float* zi = zr + j;
      __m256 cc = _mm256_mul_ps(ld(zi), ld(zi + 2 * u));
      if (cPrev != nullptr) cc = _mm256_fmadd_ps(ld(zi + u), ld(cPrev + off + j), cc);
      const __m256 t = vtanh(cc);
      st(c + off + j, cc);
      st(tc + off + j, t);
      st(h + off + j, _mm256_mul_ps(ld(zi + 3 * u), t));
    }
  }
}

void gatesBackward8(const float* gates, const float* cPrev, const float* tc, const float* dhIn, const float* dhRec,
                    float* dc, float* dG, int B, int U) {
  const size_t u = static_cast<size_t>(U);
  const __m256 zero = _mm256_setzero_ps();
  for (int b = 0; b < B; b++) {
    const float* gr = gates + static_cast<size_t>(b) * 4 * u;
    float* dr = dG + static_cast<size_t>(b) * 4 * u;
    const size_t off = static_cast<size_t>(b) * u;
    for (size_t j = 0; j < u; j += 8) {
      __m256 dh = zero;
      if (dhIn != nullptr) dh = ld(dhIn + off + j);
      if (dhRec != nullptr) dh = _mm256_add_ps(dh, ld(dhRec + off + j));
      const __m256 gi = ld(gr + j);
      const __m256 gf = ld(gr + j + u);
      const __m256 gg = ld(gr + j + 2 * u);
      const __m256 go = ld(gr + j + 3 * u);
      const __m256 t = ld(tc + off + j);
      const __m256 dho = _mm256_mul_ps(dh, go);
      const __m256 dct = _mm256_fmadd_ps(dho, _mm256_sub_ps(kOne, _mm256_mul_ps(t, t)), ld(dc + off + j));
      const __m256 cp = cPrev != nullptr ? ld(cPrev + off + j) : zero;
      st(dr + j, _mm256_mul_ps(_mm256_mul_ps(dct, gg), _mm256_mul_ps(gi, _mm256_sub_ps(kOne, gi))));
      st(dr + j + u, _mm256_mul_ps(_mm256_mul_ps(dct, cp), _mm256_mul_ps(gf, _mm256_sub_ps(kOne, gf))));
      st(dr + j + 2 * u, _mm256_mul_ps(_mm256_mul_ps(dct, gi), _mm256_sub_ps(kOne, _mm256_mul_ps(gg, gg))));
      st(dr + j + 3 * u, _mm256_mul_ps(_mm256_mul_ps(dh, t), _mm256_mul_ps(go, _mm256_sub_ps(kOne, go))));
      st(dc + off + j, _mm256_mul_ps(dct, gf));
    }
  }
}

}  // namespace lstm
