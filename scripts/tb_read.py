#!/usr/bin/env python3
"""Read a gan-rs run's TensorBoard event file back with TensorBoard's own readers and
print everything in it as one JSON object (used by crates/gan-cli/tests/tensorboard_log.rs).

    python scripts/tb_read.py RUN_DIR/tb

Prints {"files": [...], "scalars": {tag: [[step, value], ...]},
        "images": {tag: [[step, width, height, png_base64], ...]},
        "text": {tag: [[step, text], ...]},
        "hparams": {"hparams": {...}, "metrics": [tag, ...], "status": int},
        "accumulator": {"scalars": n, "images": n, "tensors": n}}.
Scalars, images and text come from the raw event stream (RawEventFileLoader, parsed as
tensorboard.Event: every record in order, nothing migrated or merged); "accumulator" counts what EventAccumulator, the reader behind
TensorBoard's dashboards, keeps after its own out-of-order purging.
"""

import base64
import glob
import json
import os
import sys

from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import plugin_data_pb2


def main(logdir):
    files = sorted(glob.glob(os.path.join(logdir, "*tfevents*")))
    out = {"files": [os.path.basename(f) for f in files], "scalars": {}, "images": {},
           "text": {}, "hparams": {}}
    for path in files:
        for record in RawEventFileLoader(path).Load():
            event = event_pb2.Event.FromString(record)
            if not event.HasField("summary"):
                continue
            for v in event.summary.value:
                kind = v.WhichOneof("value")
                plugin = v.metadata.plugin_data.plugin_name
                if kind == "simple_value":
                    out["scalars"].setdefault(v.tag, []).append([event.step, v.simple_value])
                elif kind == "image":
                    png = base64.b64encode(v.image.encoded_image_string).decode()
                    out["images"].setdefault(v.tag, []).append(
                        [event.step, v.image.width, v.image.height, png])
                elif kind == "tensor" and plugin == "text":
                    text = v.tensor.string_val[0].decode()
                    out["text"].setdefault(v.tag, []).append([event.step, text])
                elif plugin == "hparams":
                    data = plugin_data_pb2.HParamsPluginData.FromString(
                        v.metadata.plugin_data.content)
                    which = data.WhichOneof("data")
                    h = out["hparams"]
                    if which == "session_start_info":
                        h["hparams"] = {
                            k: getattr(val, val.WhichOneof("kind"))
                            for k, val in data.session_start_info.hparams.items()
                        }
                    elif which == "experiment":
                        h["metrics"] = [m.name.tag for m in data.experiment.metric_infos]
                        h["columns"] = [p.name for p in data.experiment.hparam_infos]
                    elif which == "session_end_info":
                        h["status"] = data.session_end_info.status
    acc = ea.EventAccumulator(logdir, size_guidance={ea.SCALARS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    out["accumulator"] = {
        "scalars": sum(len(acc.Scalars(t)) for t in tags["scalars"]),
        "images": sum(len(acc.Images(t)) for t in tags["images"]),
        "tensors": sum(len(acc.Tensors(t)) for t in tags["tensors"]),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
