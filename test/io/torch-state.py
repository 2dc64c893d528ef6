# The PyTorch side of test/io/torch-state.test.ts: loads the state_dict stackae exported into the
# module of docs/scale-out.md, prints its probabilities, trains one SGD step, saves the new
# state_dict as DistributedDataParallel's module would name it ("module." before each key), and
# prints the probabilities after the step. safetensors is read and written here with json and
# numpy, as the python package may be absent.
# usage: python3 torch-state.py MODULE.py STATE_IN INPUTS.f32 LABELS.i32 N STATE_OUT
import json
import struct
import sys

import numpy as np
import torch
from torch import nn  # noqa: F401 (the module's source uses it)

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        raw = data[8 + n + begin : 8 + n + end]
        tensors[name] = torch.from_numpy(np.frombuffer(raw, dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).copy())
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


module_py, state_in, inputs_path, labels_path, n, state_out = sys.argv[1:]
exec(open(module_py).read())  # defines stackae_module(sizes, classes), as docs/scale-out.md does
state, metadata = read_safetensors(state_in)
module = stackae_module(json.loads(metadata["sizes"]), int(metadata["classes"]))  # noqa: F821
module.load_state_dict(state)  # strict: every key and shape must be the module's
x = torch.from_numpy(np.fromfile(inputs_path, dtype="<f4").reshape(int(n), -1))
y = torch.from_numpy(np.fromfile(labels_path, dtype="<i4").astype(np.int64))
with torch.no_grad():
    before = torch.softmax(module(x).double(), dim=1)
optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
loss = nn.functional.cross_entropy(module(x), y)
optimizer.zero_grad()
loss.backward()
optimizer.step()
with torch.no_grad():
    after = torch.softmax(module(x).double(), dim=1)
write_safetensors(state_out, {f"module.{k}": v for k, v in module.state_dict().items()}, {"format": "pt"})
print(json.dumps({"keys": list(state.keys()), "before": before.flatten().tolist(), "after": after.flatten().tolist()}))
