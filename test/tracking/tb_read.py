"""Read a run's TensorBoard directory with TensorBoard's own EventAccumulator; print what it sees as JSON.

Usage: python3 tb_read.py <runDir>/tensorboard
For each run (the directory itself, train/, validation/): every tag with the steps TensorBoard
loaded for it, and the HParams plugin's view (the first session start/end it reads, as the
plugin does), and the names of the graph's nodes when the run has a graph (else null).
"""
import json
import os
import sys

from tensorboard.backend.event_processing import plugin_event_accumulator as pea
from tensorboard.plugins.hparams import plugin_data_pb2

root = sys.argv[1]
out = {}
for name in [".", "train", "validation"]:
    directory = os.path.join(root, name)
    if not os.path.isdir(directory):
        continue
    acc = pea.EventAccumulator(directory, size_guidance={pea.TENSORS: 0})
    acc.Reload()
    tags = {tag: [e.step for e in acc.Tensors(tag)] for tag in acc.Tags()["tensors"]}
    hparams = {}
    contents = acc.PluginTagToContent("hparams") if "hparams" in acc.ActivePlugins() else {}
    for tag, content in contents.items():
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        if data.HasField("session_end_info"):
            hparams["session_end_status"] = data.session_end_info.status
        if data.HasField("session_start_info"):
            hparams["hparams"] = sorted(data.session_start_info.hparams.keys())
        if data.HasField("experiment"):
            hparams["experiment_hparams"] = sorted(h.name for h in data.experiment.hparam_infos)
    graph = [node.name for node in acc.Graph().node] if acc.Tags().get("graph") else None
    out[name] = {"tags": tags, "hparams": hparams, "graph": graph}
print(json.dumps(out))
