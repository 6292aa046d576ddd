// The AVX-512 kernel table: kernels.inc with 16-lane vectors, 8 x 32 register tiles
// (16 accumulators of the 32 zmm registers). Compiled with -mavx512f -mavx512bw -mavx512vl -mfma.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels.h"

namespace lstm {
namespace avx512 {

struct VW {
  using T = __m512;
  static constexpr int W = 16;
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T set1(float x) { return _mm512_set1_ps(x); }
  static T zero() { return _mm512_setzero_ps(); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
};

struct VH {
  using T = __m256;
  static constexpr int W = 8;
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T set1(float x) { return _mm256_set1_ps(x); }
  static T zero() { return _mm256_setzero_ps(); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
};

static constexpr int MR = 8;
static constexpr int NVW = 2;

#include "kernels.inc"

}  // namespace avx512

const Kernels& avx512Kernels() {
  static const Kernels k{"avx512", avx512::NR, avx512::packB, avx512::mm, avx512::mmAtB, gatesForward8, gatesBackward8, avx512::VW::W, avx512::fmaLoop};
  return k;
}

}  // namespace lstm
