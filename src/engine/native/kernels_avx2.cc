// The AVX2 kernel table: kernels.inc with 8-lane vectors, 6 x 16 register tiles
// (12 accumulators of the 16 ymm registers). Compiled with -mavx2 -mfma.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace lstm {
namespace avx2 {

#include "vec256.inc"

using VW = V256;
using VH = V256;

static constexpr int MR = 6;
static constexpr int NVW = 2;

#include "kernels.inc"

}  // namespace avx2

const Kernels& avx2Kernels() {
  static const Kernels k{"avx2", avx2::NR, avx2::packB, avx2::mm, avx2::mmAtB, gatesForward8, gatesBackward8, avx2::VW::W, avx2::fmaLoop};
  return k;
}

}  // namespace lstm
