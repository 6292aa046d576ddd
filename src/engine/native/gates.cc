// The 8-lane (AVX2 + FMA) instantiation of gates.inc, shared by both kernel tables.
#include <immintrin.h>

#include <cstddef>

#include "kernels.h"

namespace lstm {
namespace {

#include "vec256.inc"

using S8 = V256;

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
