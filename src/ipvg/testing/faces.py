"""Tiny and random-weight face models, built offline (their outputs are noise, by design).

- `build_tiny_arcface_onnx(folder)`: an ONNX recogniser with ArcFace's interface (input `1x3x112x112`
  BGR scaled to [-1, 1] by insightface, output 512 floats), loadable by
  `insightface.model_zoo.get_model(path)` exactly as a real `w600k_r50.onnx`.
- `build_tiny_insightface_pack(folder)`: a model-pack folder like `buffalo_l` (an SCRFD-shaped detector
  with 9 outputs: scores, box distances and keypoint offsets at strides 8/16/32 with 2 anchors; a
  gender/age head with a 96x96 input and 3 outputs; the tiny recogniser), which insightface's
  `FaceAnalysis` routes and runs like the real pack. Biases keep detections in a plausible range
  (scores pass the threshold only at stride 32, boxes about 3 strides wide), small random weights
  make them depend on the image.
- `random_ir_state_dict(num_layers, seed)`: a CurricularFace IR backbone state dict with the
  parameter names of ConsisID-preview's `glint360k_curricular_face_r101_backbone.bin`, every tensor
  drawn from its own seeded generator so the same weights can be rebuilt anywhere (parity checks).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

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


def _save_onnx(graph: Any, path: Path) -> Path:
    import onnx
    from onnx import helper

    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="ipvg.testing"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _tiny_scrfd_graph(rng: np.random.Generator) -> Any:
    """Per stride s: average-pool by s, then 1x1 convolutions to 2 anchors x (1 score, 4 box, 10 kps)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers, outputs = [], [], {"score": [], "bbox": [], "kps": []}
    # Keypoint offsets (in strides) of a frontal face around the anchor: eyes, nose, mouth corners.
    kps_bias = np.array([-0.6, -0.4, 0.6, -0.4, 0.0, 0.2, -0.5, 0.8, 0.5, 0.8], np.float32)
    for stride in (8, 16, 32):
        nodes.append(
            helper.make_node(
                "AveragePool",
                ["input.1"],
                [f"pool{stride}"],
                kernel_shape=[stride, stride],
                strides=[stride, stride],
            )
        )
        heads = {"score": 1, "bbox": 4, "kps": 10}
        for head, width in heads.items():
            channels = 2 * width
            weight = (0.05 * rng.standard_normal((channels, 3, 1, 1))).astype(np.float32)
            if head == "score":
                bias = np.full(channels, 0.5 if stride == 32 else -6.0, np.float32)
            elif head == "bbox":
                bias = np.full(channels, 1.5, np.float32)
            else:
                bias = np.tile(kps_bias, 2)
            name = f"{head}{stride}"
            initializers += [
                numpy_helper.from_array(weight, f"{name}.w"),
                numpy_helper.from_array(bias, f"{name}.b"),
            ]
            nodes.append(
                helper.make_node("Conv", [f"pool{stride}", f"{name}.w", f"{name}.b"], [f"{name}.conv"])
            )
            source = f"{name}.conv"
            if head == "score":
                nodes.append(helper.make_node("Sigmoid", [source], [f"{name}.sig"]))
                source = f"{name}.sig"
            # (1, 2*width, h, w) -> (h*w*2, width): anchors vary fastest, as SCRFD expects
            nodes.append(helper.make_node("Transpose", [source], [f"{name}.t"], perm=[0, 2, 3, 1]))
            shape = numpy_helper.from_array(np.array([-1, width], np.int64), f"{name}.shape")
            initializers.append(shape)
            nodes.append(helper.make_node("Reshape", [f"{name}.t", f"{name}.shape"], [f"{name}.out"]))
            outputs[head].append(
                helper.make_tensor_value_info(f"{name}.out", TensorProto.FLOAT, ["n", width])
            )
    return helper.make_graph(
        nodes,
        "tiny_scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "h", "w"])],
        outputs["score"] + outputs["bbox"] + outputs["kps"],
        initializers,
    )


def _tiny_genderage_graph(rng: np.random.Generator) -> Any:
    """96x96 crop -> (female logit, male logit, age / 100), as insightface's genderage.onnx."""
    from onnx import TensorProto, helper, numpy_helper

    initializers = [
        numpy_helper.from_array((0.1 * rng.standard_normal((3, 3))).astype(np.float32), "fc.w"),
        numpy_helper.from_array(np.array([0.0, 0.3, 0.35], np.float32), "fc.b"),
    ]
    nodes = [
        helper.make_node("GlobalAveragePool", ["data"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["fc1"], transB=1),
    ]
    return helper.make_graph(
        nodes,
        "tiny_genderage",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["None", 3, 96, 96])],
        [helper.make_tensor_value_info("fc1", TensorProto.FLOAT, ["None", 3])],
        initializers,
    )


def build_tiny_insightface_pack(folder: Path, *, seed: int = 0) -> Path:
    """A model-pack folder (detector, gender/age, recogniser) that `FaceAnalysis(name=folder)` loads."""
    rng = np.random.default_rng(seed)
    _save_onnx(_tiny_scrfd_graph(rng), folder / "det_tiny.onnx")
    _save_onnx(_tiny_genderage_graph(rng), folder / "genderage.onnx")
    build_tiny_arcface_onnx(folder, seed=seed)
    return folder


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
