#!/usr/bin/env bash
# Prepares .device/ for the H200 comparison (run here, then src/bench/h200/run.sh on the GPU
# machine with carry [".device"]): node, dawn.node, the Vulkan loader debs, the bench bundled
# with esbuild (node_modules is too large to carry), the wasm kernels and the cuDNN reference.
set -euo pipefail
cd "$(dirname "$0")/../../.."
node src/scripts/build.mjs
D=.device
rm -rf "$D" && mkdir -p "$D/gl" "$D/dist/engine" "$D/node_modules/webgpu/dist/linux-x64"
xz -T2 -6 -c "$(command -v node)" > "$D/node.xz"
apt-get update -qq
(cd "$D/gl" && apt-get download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libx11-6)
# the bench as one CommonJS file; webgpu (dawn.node) stays external and loads from $D/node_modules
npx esbuild src/bench/bench.ts --bundle --platform=node --format=cjs --target=node20 --external:webgpu --external:@tensorflow/* \
  --define:import.meta.url=__bench_url --banner:js='const __bench_url = require("url").pathToFileURL(__filename).href;' \
  --outfile="$D/bench.cjs" --log-level=warning
# $D is the package root the bundle finds (packageRoot looks for lstm-pipeline's package.json)
printf '{ "name": "lstm-pipeline", "type": "module", "private": true }\n' > "$D/package.json"
cp dist/engine/*.wasm "$D/dist/engine/"
cp dist/engine/*.node "$D/dist/engine/" 2>/dev/null || echo "no native addon built here: the CPU side is the wasm engine only"
cp dist/engine-worker.js "$D/dist/"
W=node_modules/webgpu
cp "$W/package.json" "$W/index.js" "$D/node_modules/webgpu/"
xz -T2 -6 -c "$W/dist/linux-x64/dawn.node" > "$D/dawn.node.xz"
find "$W/dist/linux-x64" -name '*.wasm' -exec cp {} "$D/node_modules/webgpu/dist/linux-x64/" \;
cp ../shared/bench/torch_lstm.py "$D/" 2>/dev/null || cp /work/shared/bench/torch_lstm.py "$D/"
cp src/bench/h200/run.sh "$D/"
du -sh "$D"
