#!/usr/bin/env bash
# On the H200 machine (after src/bench/h200/prepare.sh here, carry [".device"]): our WGSL engine
# at batch 64/256/1024/4096, the CPU engine on the same host (16 threads), and PyTorch cuDNN,
# each as JSON lines in $OUT (webgpu.jsonl, cpu.jsonl, cudnn.jsonl) and on stdout.
set -uo pipefail
cd "$(dirname "$0")/../../.." 2>/dev/null || true
[ -d .device ] || cd "$(dirname "$0")/.."
D=.device
OUT=${OUT:-/tmp/h200-out}
mkdir -p "$OUT"
for f in "$D"/gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
xz -d -c "$D/node.xz" > /tmp/node && chmod +x /tmp/node
xz -d -c "$D/dawn.node.xz" > "$D/node_modules/webgpu/dist/linux-x64/dawn.node"
NODE="/tmp/node --experimental-wasm-relaxed-simd"
echo "== webgpu (fused WGSL engine)"
timeout 240 $NODE "$D/bench.cjs" --device webgpu --batches 64,256,1024,4096 --steps 30 --warmup 5 2>"$OUT/webgpu.stderr" | tee "$OUT/webgpu.jsonl"
echo "== cpu engine on the same host"
timeout 150 $NODE "$D/bench.cjs" --workloads reference,batch256,batch1024,batch4096 --threads "$(nproc)" --steps 10 --warmup 2 --no-tfjs --no-torch --no-pipeline 2>"$OUT/cpu.stderr" | tee "$OUT/cpu.jsonl"
echo "== PyTorch cuDNN"
for b in 64 256 1024 4096; do
  timeout 60 python3 "$D/torch_lstm.py" --device cuda --batch "$b" --steps 30 2>>"$OUT/cudnn.stderr"
done | tee "$OUT/cudnn.jsonl"
