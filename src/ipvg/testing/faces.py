"""Tiny and random-weight face models, built offline (their outputs are noise, by design).

- `build_tiny_arcface_onnx(folder)`: an ONNX recogniser with ArcFace's interface (input `1x3x112x112`
  BGR scaled to [-1, 1] by insightface, output 512 floats), loadable by
  `insightface.model_zoo.get_model(path)` exactly as a real `w600k_r50.onnx`.
- `random_ir_state_dict(num_layers, seed)`: a CurricularFace IR backbone state dict with the
  parameter names of ConsisID-preview's `glint360k_curricular_face_r101_backbone.bin`, every tensor
  drawn from its own seeded generator so the same weights can be rebuilt anywhere (parity checks).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

TINY_ARCFACE_FILE = "tiny_arcface_r0.onnx"


def build_tiny_arcface_onnx(folder: Path, *, seed: int = 0) -> Path:
    """Write a 2-conv + linear random recogniser (under 1 MB) with ArcFace's input/output shapes into `folder`."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)

    def weight(name: str, *shape: int) -> onnx.TensorProto:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        values = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
        return numpy_helper.from_array(values, name)

    initializers = [
        weight("conv1.weight", 16, 3, 8, 8),
        numpy_helper.from_array(np.full((16, 1, 1), 0.25, np.float32), "prelu1.slope"),
        weight("conv2.weight", 8, 16, 2, 2),
        weight("fc.weight", 512, 8 * 7 * 7),
        numpy_helper.from_array(np.zeros(512, np.float32), "fc.bias"),
    ]
    nodes = [
        helper.make_node(
            "Conv", ["input.1", "conv1.weight"], ["c1"], name="Conv_0", kernel_shape=[8, 8], strides=[8, 8]
        ),
        helper.make_node("PRelu", ["c1", "prelu1.slope"], ["p1"], name="PRelu_1"),
        helper.make_node(
            "Conv", ["p1", "conv2.weight"], ["c2"], name="Conv_2", kernel_shape=[2, 2], strides=[2, 2]
        ),
        helper.make_node("Flatten", ["c2"], ["f"], name="Flatten_3", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["embedding"], name="Gemm_4", transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_arcface",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["None", 3, 112, 112])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["None", 512])],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="ipvg.testing"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TINY_ARCFACE_FILE
    onnx.save(model, str(path))
    return path


def random_ir_state_dict(num_layers: int = 100, *, seed: int = 0) -> dict:
    """Random weights for `ipvg.faces.curricularface.IResNet(num_layers)`, the same on every machine.

    Scales keep activations finite through 49 residual units: He-scaled convolutions, residual
    branches ending in a small BN gain, running variances in [0.5, 1.5].
    """
    import torch

    from ipvg.faces.curricularface import IResNet

    with torch.device("meta"):  # shapes only: no time spent on an initialisation we overwrite
        template = IResNet(num_layers).state_dict()
    state = {}
    for key, like in template.items():
        generator = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(key.encode()))
        if like.dtype == torch.int64:  # num_batches_tracked
            state[key] = torch.zeros(like.shape, dtype=torch.int64)
        elif key.endswith("running_var"):
            state[key] = 0.5 + torch.rand(like.shape, generator=generator)
        elif key.endswith("running_mean") or key.endswith(".bias"):
            state[key] = 0.1 * torch.randn(like.shape, generator=generator)
        elif like.ndim == 1:  # BN gains and PReLU slopes
            gain = 0.2 if key.startswith("body.") and key.split(".")[2:4] == ["res_layer", "5"] else 1.0
            state[key] = gain * (0.5 + 0.5 * torch.rand(like.shape, generator=generator))
        else:
            fan_in = like[0].numel()
            state[key] = torch.randn(like.shape, generator=generator) * (2.0 / fan_in) ** 0.5
    return state
