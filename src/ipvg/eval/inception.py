"""Inception v3 pool features for FID, in plain torch (no torchvision).

Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016. Module and
parameter names follow torchvision's `Inception3`, so both weight files load unchanged:
- `pytorch-fid` variant: the TensorFlow FID graph ported by pytorch-fid
  (`pt_inception-2015-12-05-6726825d.pth`): its blocks average-pool without counting padding, and
  the last block max-pools its pool branch; inputs in [0, 1] are resized to 299 bilinearly and
  scaled to [-1, 1]. This is the standard FID network.
- `torchvision` variant: torchvision's ImageNet Inception v3 (`inception_v3_google-0cc3c7bd.pth`),
  which the challenge's scorer (ConsisID `eval/get_facesim_fid.py`) uses, with `transform_input`.
`width` scales every channel count, for tiny random-weight test models of the same structure.

Shape legend: B batch, C channels, H height, W width; features are (B, D) with D = 2048 x width.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from ipvg.errors import WeightsNotFoundError

Variant = Literal["pytorch-fid", "torchvision"]
FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
TORCHVISION_WEIGHTS_FILE = "inception_v3_google-0cc3c7bd.pth"
INPUT_SIZE = 299
# Keys a feature extractor does not need: the classifier and torchvision's auxiliary head.
IGNORED_PREFIXES = ("fc.", "AuxLogits.")


class BasicConv2d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, **conv_kwargs: object) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **conv_kwargs)  # type: ignore[arg-type]
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x_BCHW: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x_BCHW)))


def _avg_pool_3x3(x_BCHW: torch.Tensor, fid: bool) -> torch.Tensor:
    # The TF graph's average pools ignore padding; torchvision's count it.
    return F.avg_pool2d(x_BCHW, kernel_size=3, stride=1, padding=1, count_include_pad=not fid)


class InceptionA(nn.Module):
    def __init__(self, in_channels: int, pool_features: int, w: float, fid: bool) -> None:
        super().__init__()
        c = _scaler(w)
        self.fid = fid
        self.branch1x1 = BasicConv2d(in_channels, c(64), kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, c(48), kernel_size=1)
        self.branch5x5_2 = BasicConv2d(c(48), c(64), kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, c(64), kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(c(64), c(96), kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(c(96), c(96), kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = self.branch_pool(_avg_pool_3x3(x, self.fid))
        return torch.cat([self.branch1x1(x), branch5x5, branch3x3dbl, branch_pool], 1)


class InceptionB(nn.Module):
    def __init__(self, in_channels: int, w: float) -> None:
        super().__init__()
        c = _scaler(w)
        self.branch3x3 = BasicConv2d(in_channels, c(384), kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, c(64), kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(c(64), c(96), kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(c(96), c(96), kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), branch3x3dbl, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionC(nn.Module):
    def __init__(self, in_channels: int, channels_7x7: int, w: float, fid: bool) -> None:
        super().__init__()
        c = _scaler(w)
        c7 = channels_7x7
        self.fid = fid
        self.branch1x1 = BasicConv2d(in_channels, c(192), kernel_size=1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, c(192), kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, c(192), kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_channels, c(192), kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        dbl = x
        for layer in (
            self.branch7x7dbl_1,
            self.branch7x7dbl_2,
            self.branch7x7dbl_3,
            self.branch7x7dbl_4,
            self.branch7x7dbl_5,
        ):
            dbl = layer(dbl)
        branch_pool = self.branch_pool(_avg_pool_3x3(x, self.fid))
        return torch.cat([self.branch1x1(x), branch7x7, dbl, branch_pool], 1)


class InceptionD(nn.Module):
    def __init__(self, in_channels: int, w: float) -> None:
        super().__init__()
        c = _scaler(w)
        self.branch3x3_1 = BasicConv2d(in_channels, c(192), kernel_size=1)
        self.branch3x3_2 = BasicConv2d(c(192), c(320), kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, c(192), kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(c(192), c(192), kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(c(192), c(192), kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(c(192), c(192), kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch3x3 = self.branch3x3_2(self.branch3x3_1(x))
        branch7x7x3 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([branch3x3, branch7x7x3, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    """`pool`: "avg" (torchvision), "avg-fid" (TF, padding not counted: Mixed_7b), "max" (TF Mixed_7c)."""

    def __init__(self, in_channels: int, w: float, pool: str) -> None:
        super().__init__()
        c = _scaler(w)
        self.pool = pool
        self.branch1x1 = BasicConv2d(in_channels, c(320), kernel_size=1)
        self.branch3x3_1 = BasicConv2d(in_channels, c(384), kernel_size=1)
        self.branch3x3_2a = BasicConv2d(c(384), c(384), kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(c(384), c(384), kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, c(448), kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(c(448), c(384), kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(c(384), c(384), kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(c(384), c(384), kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_channels, c(192), kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x3 = self.branch3x3_1(x)
        branch3x3 = torch.cat([self.branch3x3_2a(x3), self.branch3x3_2b(x3)], 1)
        dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = torch.cat([self.branch3x3dbl_3a(dbl), self.branch3x3dbl_3b(dbl)], 1)
        if self.pool == "max":
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            pooled = _avg_pool_3x3(x, fid=self.pool == "avg-fid")
        return torch.cat([self.branch1x1(x), branch3x3, branch3x3dbl, self.branch_pool(pooled)], 1)


def _scaler(width: float) -> Callable[[int], int]:
    return lambda channels: max(1, round(channels * width))


class InceptionV3Features(nn.Module):
    """Inception v3 up to the 2048-d average pool (the FID feature), from images in [0, 1]."""

    def __init__(self, variant: Variant = "pytorch-fid", width: float = 1.0) -> None:
        super().__init__()
        if variant not in ("pytorch-fid", "torchvision"):
            raise ValueError(f"`variant` must be 'pytorch-fid' or 'torchvision'; got {variant!r}.")
        self.variant, self.width = variant, width
        fid = variant == "pytorch-fid"
        c = _scaler(width)
        self.Conv2d_1a_3x3 = BasicConv2d(3, c(32), kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(c(32), c(32), kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(c(32), c(64), kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(c(64), c(80), kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(c(80), c(192), kernel_size=3)
        self.Mixed_5b = InceptionA(c(192), c(32), width, fid)
        a_out = lambda pool: c(64) + c(64) + c(96) + pool  # noqa: E731
        self.Mixed_5c = InceptionA(a_out(c(32)), c(64), width, fid)
        self.Mixed_5d = InceptionA(a_out(c(64)), c(64), width, fid)
        self.Mixed_6a = InceptionB(a_out(c(64)), width)
        b_out = c(384) + c(96) + a_out(c(64))
        c_out = 4 * c(192)
        self.Mixed_6b = InceptionC(b_out, c(128), width, fid)
        self.Mixed_6c = InceptionC(c_out, c(160), width, fid)
        self.Mixed_6d = InceptionC(c_out, c(160), width, fid)
        self.Mixed_6e = InceptionC(c_out, c(192), width, fid)
        self.Mixed_7a = InceptionD(c_out, width)
        d_out = c(320) + c(192) + c_out
        e_out = c(320) + 4 * c(384) + c(192)
        self.Mixed_7b = InceptionE(d_out, width, pool="avg-fid" if fid else "avg")
        self.Mixed_7c = InceptionE(e_out, width, pool="max" if fid else "avg")
        self.feature_dim = e_out

    def prepare(self, images_BCHW: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] -> the network's input: 299x299 (bilinear) and the variant's scaling."""
        x = images_BCHW
        if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        if self.variant == "pytorch-fid":
            return 2.0 * x - 1.0
        # torchvision's `transform_input`: ImageNet-normalised input re-expressed for weights trained
        # on [-1, 1]; the challenge feeds unnormalised [0, 1] tensors, so we do the same.
        mean = torch.tensor([0.485, 0.456, 0.406], dtype=x.dtype, device=x.device)
        std = torch.tensor([0.229, 0.224, 0.225], dtype=x.dtype, device=x.device)
        return x * (std / 0.5)[None, :, None, None] + ((mean - 0.5) / 0.5)[None, :, None, None]

    def forward(self, images_BCHW: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) images in [0, 1] -> (B, D) pool features."""
        x = self.prepare(images_BCHW)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), kernel_size=3, stride=2)
        for block in (
            self.Mixed_5b,
            self.Mixed_5c,
            self.Mixed_5d,
            self.Mixed_6a,
            self.Mixed_6b,
            self.Mixed_6c,
        ):
            x = block(x)
        for block in (self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1)


def width_of(state_dict: dict[str, torch.Tensor]) -> float:
    """The channel scale of a saved network (1.0 for the real weights)."""
    return state_dict["Conv2d_1a_3x3.conv.weight"].shape[0] / 32


def load_inception(
    path: str | Path, variant: Variant = "pytorch-fid", device: str = "cpu"
) -> InceptionV3Features:
    """Load Inception v3 feature weights from a `.pth` (safely: `weights_only=True`) or `.safetensors`."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise WeightsNotFoundError(
            f"Inception weights not found: {path}.",
            f"download {FID_WEIGHTS_FILE} (pytorch-fid's FID weights, github.com/mseitzer/pytorch-fid releases) and pass "
            "its path with --inception-weights.",
        )
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state_dict = load_file(str(path))
    else:
        state_dict = load_weights_only(path)
    model = InceptionV3Features(variant, width=width_of(state_dict))
    kept = {k: v for k, v in state_dict.items() if not k.startswith(IGNORED_PREFIXES)}
    missing, unexpected = model.load_state_dict(kept, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise WeightsNotFoundError(
            f"{path.name} is not an Inception v3 checkpoint: missing {missing[:3]}, unexpected {unexpected[:3]}.",
            f"pass {FID_WEIGHTS_FILE} (or torchvision's {TORCHVISION_WEIGHTS_FILE} with variant 'torchvision').",
        )
    return model.eval().to(device)


def load_weights_only(path: Path) -> dict:
    """`torch.load(path, weights_only=True)`: tensors and plain containers only, never pickled code.
    A checkpoint that needs more is refused with how to convert it once, by someone who trusts it."""
    import pickle

    try:
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, ValueError, EOFError) as error:
        raise WeightsNotFoundError(
            f"Cannot load {path.name} with weights_only=True (it is corrupt, or it pickles Python objects): "
            f"{str(error).splitlines()[0][:200]}",
            "if you trust the file, re-save its tensors once: "
            "torch.save(torch.load(PATH, weights_only=False)['state_dict'], NEW_PATH) (drop ['state_dict'] if absent).",
        ) from None
