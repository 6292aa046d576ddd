// The AVX-512 kernel table: kernels.inc with 16-lane vectors, 8 x 32 register tiles
// (16 accumulators of the 32 zmm registers), and gates.inc 16 lanes wide where the layer's
// padded width allows. Compiled with -mavx512f -mavx512bw -mavx512vl -mfma.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

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

#include "vec256.inc"

using VH = V256;

static constexpr int MR = 8;
static constexpr int NVW = 2;

#include "kernels.inc"

struct S16 {
  using T = __m512;
  using I = __m512i;
  static constexpr int W = 16;
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T set1(float x) { return _mm512_set1_ps(x); }
  static I set1i(int x) { return _mm512_set1_epi32(x); }
  static T zero() { return _mm512_setzero_ps(); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T div(T a, T b) { return _mm512_div_ps(a, b); }
  static T min(T a, T b) { return _mm512_min_ps(a, b); }
  static T max(T a, T b) { return _mm512_max_ps(a, b); }
  static T bxor(T a, T b) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_castps_si512(b))); }
  static I shl(I a, int n) { return _mm512_slli_epi32(a, n); }
  static I addi(I a, I b) { return _mm512_add_epi32(a, b); }
  static I asInt(T a) { return _mm512_castps_si512(a); }
  static T asFloat(I a) { return _mm512_castsi512_ps(a); }
};

#include "gates.inc"

// 16 lanes where a gate's width allows it (the same element-wise operations, so the same bits)
static void gatesForward(float* z, const float* cPrev, float* c, float* tc, float* h, int B, int U) {
  if (U % 16 == 0) gatesForwardT<S16>(z, cPrev, c, tc, h, B, U);
  else gatesForward8(z, cPrev, c, tc, h, B, U);
}

static void gatesBackward(const float* gates, const float* cPrev, const float* tc, const float* dhIn, const float* dhRec,
                          float* dc, float* dG, int B, int U) {
  if (U % 16 == 0) gatesBackwardT<S16>(gates, cPrev, tc, dhIn, dhRec, dc, dG, B, U);
  else gatesBackward8(gates, cPrev, tc, dhIn, dhRec, dc, dG, B, U);
}

}  // namespace avx512

const Kernels& avx512Kernels() {
  static const Kernels k{"avx512", avx512::NR, avx512::packB, avx512::mm, avx512::mmAtB, avx512::gatesForward, avx512::gatesBackward, avx512::VW::W, avx512::fmaLoop};
  return k;
}

}  // namespace lstm
