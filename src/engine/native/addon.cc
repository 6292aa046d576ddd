// Node-API bindings of the native engine (src/engine/native.ts is the only caller). A model
// is an external value; every call is synchronous and checks its arguments, throwing a
// JavaScript Error with a message rather than crashing.
#define NAPI_VERSION 8
#include <node_api.h>

#include <time.h>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels.h"
#include "model.h"
#include "ops.h"

namespace {

using lstm::Model;

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(napi_env env, napi_status s, const char* what) {
  if (s != napi_ok) throw Fail(std::string("native engine: ") + what);
}

struct Args {
  napi_env env;
  std::vector<napi_value> v;
  Args(napi_env e, napi_callback_info info, size_t n) : env(e), v(n) {
    size_t argc = n;
    check(e, napi_get_cb_info(e, info, &argc, v.data(), nullptr, nullptr), "bad call");
    if (argc < n) throw Fail("native engine: expected " + std::to_string(n) + " arguments, got " + std::to_string(argc));
  }
  double num(size_t i) const {
    double d;
    if (napi_get_value_double(env, v[i], &d) != napi_ok) throw Fail("native engine: argument " + std::to_string(i) + " must be a number");
    return d;
  }
  int integer(size_t i) const { return static_cast<int>(num(i)); }
  /** A Float32Array argument with at least `need` elements. */
  float* floats(size_t i, size_t need) const {
    bool is = false;
    check(env, napi_is_typedarray(env, v[i], &is), "typedarray check");
    if (!is) throw Fail("native engine: argument " + std::to_string(i) + " must be a Float32Array");
    napi_typedarray_type type;
    size_t length;
    void* data;
    check(env, napi_get_typedarray_info(env, v[i], &type, &length, &data, nullptr, nullptr), "typedarray info");
    if (type != napi_float32_array) throw Fail("native engine: argument " + std::to_string(i) + " must be a Float32Array");
    if (length < need) {
      throw Fail("native engine: argument " + std::to_string(i) + " has " + std::to_string(length) + " floats, expected " + std::to_string(need));
    }
    return static_cast<float*>(data);
  }
  Model& model(size_t i) const {
    void* p = nullptr;
    check(env, napi_get_value_external(env, v[i], &p), "argument 0 must be a model handle");
    auto* slot = static_cast<std::unique_ptr<Model>*>(p);
    if (!*slot) throw Fail("native engine: the model was closed");
    return **slot;
  }
  napi_value prop(size_t i, const char* name) const {
    napi_value out;
    check(env, napi_get_named_property(env, v[i], name, &out), name);
    return out;
  }
};

double numberOf(napi_env env, napi_value v, const char* what) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) throw Fail(std::string("native engine: ") + what + " must be a number");
  return d;
}

napi_value number(napi_env env, double d) {
  napi_value out;
  check(env, napi_create_double(env, d, &out), "create number");
  return out;
}

napi_value undefined(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

template <class F>
napi_value guard(napi_env env, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
}

bool cpuHasAvx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("fma");
}

bool cpuHasAvx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

// cpu() -> { avx512, avx2 }
napi_value Cpu(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    napi_value out, a, b;
    check(env, napi_create_object(env, &out), "object");
    check(env, napi_get_boolean(env, cpuHasAvx512(), &a), "bool");
    check(env, napi_get_boolean(env, cpuHasAvx2(), &b), "bool");
    check(env, napi_set_named_property(env, out, "avx512", a), "prop");
    check(env, napi_set_named_property(env, out, "avx2", b), "prop");
    return out;
  });
}

void finalize(napi_env, void* data, void*) { delete static_cast<std::unique_ptr<Model>*>(data); }

// create(layout, threads, isa) -> handle; layout = { features, lookback, outputs, dropout,
// layers: Float64Array of 7 per layer (units, input, up, inp, kernel, recurrent, bias),
// denseKernel, denseBias, size, topUp }
napi_value Create(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 3);
    lstm::Layout lay{};
    lay.features = static_cast<int>(numberOf(env, a.prop(0, "features"), "features"));
    lay.lookback = static_cast<int>(numberOf(env, a.prop(0, "lookback"), "lookback"));
    lay.outputs = static_cast<int>(numberOf(env, a.prop(0, "outputs"), "outputs"));
    lay.dropout = numberOf(env, a.prop(0, "dropout"), "dropout");
    lay.denseKernel = static_cast<size_t>(numberOf(env, a.prop(0, "denseKernel"), "denseKernel"));
    lay.denseBias = static_cast<size_t>(numberOf(env, a.prop(0, "denseBias"), "denseBias"));
    lay.size = static_cast<size_t>(numberOf(env, a.prop(0, "size"), "size"));
    lay.topUp = static_cast<int>(numberOf(env, a.prop(0, "topUp"), "topUp"));
    napi_value layers = a.prop(0, "layers");
    uint32_t n = 0;
    check(env, napi_get_array_length(env, layers, &n), "layers must be an array");
    if (n == 0) throw Fail("native engine: no layers");
    for (uint32_t i = 0; i < n; i++) {
      napi_value l;
      check(env, napi_get_element(env, layers, i, &l), "layer");
      auto field = [&](const char* name) {
        napi_value v;
        check(env, napi_get_named_property(env, l, name, &v), name);
        return numberOf(env, v, name);
      };
      lay.layers.push_back({static_cast<int>(field("units")), static_cast<int>(field("input")), static_cast<int>(field("up")),
                            static_cast<int>(field("inp")), static_cast<size_t>(field("kernel")),
                            static_cast<size_t>(field("recurrent")), static_cast<size_t>(field("bias"))});
    }
    for (const auto& L : lay.layers) {
      if (L.up % 8 != 0 || L.inp % 4 != 0) throw Fail("native engine: layer widths must be padded (up % 8, inp % 4)");
    }
    const int threads = a.integer(1);
    size_t len = 0;
    check(env, napi_get_value_string_utf8(env, a.v[2], nullptr, 0, &len), "isa must be a string");
    std::string isa(len, '\0');
    check(env, napi_get_value_string_utf8(env, a.v[2], isa.data(), len + 1, &len), "isa");
    const lstm::Kernels* k = nullptr;
    if (isa == "avx512") {
      if (!cpuHasAvx512()) throw Fail("native engine: this CPU lacks AVX-512 F/BW/VL with FMA");
      k = &lstm::avx512Kernels();
    } else if (isa == "avx2") {
      if (!cpuHasAvx2()) throw Fail("native engine: this CPU lacks AVX2 with FMA");
      k = &lstm::avx2Kernels();
    } else {
      throw Fail("native engine: isa must be avx512 or avx2, got " + isa);
    }
    auto* slot = new std::unique_ptr<Model>(new Model(std::move(lay), *k, threads));
    napi_value out;
    const napi_status s = napi_create_external(env, slot, finalize, nullptr, &out);
    if (s != napi_ok) {
      delete slot;
      throw Fail("native engine: cannot create the model handle");
    }
    return out;
  });
}

// close(h): frees the model and joins its threads now (the handle's finalizer is a backstop)
napi_value Close(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 1);
    void* p = nullptr;
    check(env, napi_get_value_external(env, a.v[0], &p), "argument 0 must be a model handle");
    static_cast<std::unique_ptr<Model>*>(p)->reset();
    return undefined(env);
  });
}

// copy(h, which, array, toNative): which 0 params, 1 grads, 2 slot m, 3 slot v
napi_value Copy(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 4);
    Model& m = a.model(0);
    const int which = a.integer(1);
    const size_t P = m.layout().size;
    float* arr = a.floats(2, P);
    float* mine = which == 0 ? m.params() : which == 1 ? m.grads() : which == 2 ? m.slotM() : which == 3 ? m.slotV() : nullptr;
    if (mine == nullptr) throw Fail("native engine: unknown buffer");
    bool toNative = false;
    check(env, napi_get_value_bool(env, a.v[3], &toNative), "toNative must be a boolean");
    if (toNative) {
      std::memcpy(mine, arr, P * sizeof(float));
      if (which == 0) m.repack();
    } else {
      std::memcpy(arr, mine, P * sizeof(float));
    }
    return undefined(env);
  });
}

// forwardBackward(h, x, y, n, step, seedLo, seedHi) -> sse
napi_value ForwardBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 7);
    Model& m = a.model(0);
    const int n = a.integer(3);
    if (n < 1) throw Fail("native engine: batch size must be positive");
    const auto& lay = m.layout();
    const float* x = a.floats(1, static_cast<size_t>(n) * lay.lookback * lay.features);
    const float* y = a.floats(2, static_cast<size_t>(n) * lay.outputs);
    const double sse = m.forwardBackward(x, y, n, static_cast<uint32_t>(a.num(4)), static_cast<uint32_t>(a.num(5)),
                                         static_cast<uint32_t>(a.num(6)));
    return number(env, sse);
  });
}

// sumSquares(h) -> sum of squared gradients (f64, index order)
napi_value SumSquares(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 1);
    Model& m = a.model(0);
    return number(env, lstm::sumSquares(m.grads(), m.layout().size));
  });
}

// update(h, sgd, clipScale, lr, lrHat, c2, beta1, beta2, epsilon, decay, momentum)
napi_value UpdateFn(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 11);
    Model& m = a.model(0);
    bool sgd = false;
    check(env, napi_get_value_bool(env, a.v[1], &sgd), "sgd must be a boolean");
    m.update({sgd, a.num(2), a.num(3), a.num(4), a.num(5), a.num(6), a.num(7), a.num(8), a.num(9), a.num(10)});
    return undefined(env);
  });
}

// predict(h, x, n, out)
napi_value Predict(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 4);
    Model& m = a.model(0);
    const int n = a.integer(2);
    if (n < 0) throw Fail("native engine: n must be >= 0");
    const auto& lay = m.layout();
    const float* x = a.floats(1, static_cast<size_t>(n) * lay.lookback * lay.features);
    float* out = a.floats(3, static_cast<size_t>(n) * lay.outputs);
    m.predict(x, n, out);
    return undefined(env);
  });
}

double threadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// peakGflops(isa, seconds) -> sustained FMA GFLOP/s of one core with that kernel table's
// vectors, per second of this thread's CPU time (so other processes on the core do not lower it)
napi_value PeakGflops(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 2);
    size_t len = 0;
    check(env, napi_get_value_string_utf8(env, a.v[0], nullptr, 0, &len), "isa must be a string");
    std::string isa(len, '\0');
    check(env, napi_get_value_string_utf8(env, a.v[0], isa.data(), len + 1, &len), "isa");
    const lstm::Kernels& k = isa == "avx512" && cpuHasAvx512() ? lstm::avx512Kernels() : lstm::avx2Kernels();
    if (!cpuHasAvx2()) throw Fail("native engine: this CPU lacks AVX2 with FMA");
    const double seconds = a.num(1);
    float sink[16];
    long iters = 1 << 16;
    for (;;) {
      const double t0 = threadSeconds();
      k.fmaLoop(iters, sink);
      const double dt = threadSeconds() - t0;
      if (dt >= seconds || iters > (1L << 40)) return number(env, static_cast<double>(iters) * 16 * k.lanes * 2 / dt / 1e9);
      iters *= 2;
    }
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"cpu", nullptr, Cpu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copy", nullptr, Copy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"forwardBackward", nullptr, ForwardBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"update", nullptr, UpdateFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"peakGflops", nullptr, PeakGflops, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"predict", nullptr, Predict, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(lstm_native, Init)
