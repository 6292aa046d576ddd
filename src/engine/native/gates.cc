// The 8-lane (AVX2 + FMA) instantiation of gates.inc, shared by both kernel tables.
#include <immintrin.h>

#include <cstddef>

#include "kernels.h"

namespace lstm {
namespace {

struct S8 {
  using T = __m256;
  using I = __m256i;
  static constexpr int W = 8;
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T set1(float x) { return _mm256_set1_ps(x); }
  static I set1i(int x) { return _mm256_set1_epi32(x); }
  static T zero() { return _mm256_setzero_ps(); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T div(T a, T b) { return _mm256_div_ps(a, b); }
  static T min(T a, T b) { return _mm256_min_ps(a, b); }
  static T max(T a, T b) { return _mm256_max_ps(a, b); }
  static T bxor(T a, T b) { return _mm256_xor_ps(a, b); }
  static I shl(I a, int n) { return _mm256_slli_epi32(a, n); }
  static I addi(I a, I b) { return _mm256_add_epi32(a, b); }
  static I asInt(T a) { return _mm256_castps_si256(a); }
  static T asFloat(I a) { return _mm256_castsi256_ps(a); }
};

#include "gates.inc"

}  // namespace

void gatesForward8(float* z, const float* cPrev, float* c, float* tc, float* h, int B, int U) {
  gatesForwardT<S8>(z, cPrev, c, tc, h, B, U);
}

void gatesBackward8(const float* gates, const float* cPrev, const float* tc, const float* dhIn, const float* dhRec,
                    float* dc, float* dG, int B, int U) {
  gatesBackwardT<S8>(gates, cPrev, tc, dhIn, dhRec, dc, dG, B, U);
}

}  // namespace lstm
