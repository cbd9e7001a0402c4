"""MUSIQ image quality in plain torch, for VBench's imaging quality (MUSIQ trained on SPAQ).

Ke et al., "MUSIQ: Multi-scale Image Quality Transformer", ICCV 2021. Parameter names follow pyiqa's
port (`pyiqa/archs/musiq_arch.py`), so its released `musiq_spaq_ckpt-358bb6af.pth` loads unchanged.
An image in [0, 1] becomes a multi-scale sequence of 32x32 patches (aspect-preserving bicubic
resizes to longer sides 224 and 384, plus the native resolution), each patch embedded by a ResNet
stem with weight-standardised convolutions and GroupNorm, plus hashed 10x10 spatial and per-scale
embeddings; a 14-layer transformer reads the sequence and a linear head on the class token gives
the score (0..100 for SPAQ).

Shape legend: B batch (crops), N patches, P = 3 * 32 * 32 patch values, D hidden size.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ipvg.errors import WeightsNotFoundError
from ipvg.eval.inception import load_weights_only

MUSIQ_SPAQ_WEIGHTS_FILE = "musiq_spaq_ckpt-358bb6af.pth"
PATCH_SIZE = 32
HASH_GRID = 10
LONGER_SIDES = (224, 384)


def same_padding(x_BCHW: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow's 'SAME' zero padding (the extra pixel goes right/bottom)."""
    height, width = x_BCHW.shape[-2:]
    pad_h = max((math.ceil(height / stride) - 1) * stride + kernel - height, 0)
    pad_w = max((math.ceil(width / stride) - 1) * stride + kernel - width, 0)
    return F.pad(x_BCHW, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))


class StdConv(nn.Conv2d):
    """Convolution with weight standardisation (Qiao et al., arXiv 1903.10520) and 'SAME' padding."""

    def forward(self, x_BCHW: torch.Tensor) -> torch.Tensor:
        x_BCHW = same_padding(x_BCHW, self.kernel_size[0], self.stride[0])
        weight = self.weight - self.weight.mean((1, 2, 3), keepdim=True)
        weight = weight / (weight.std((1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(x_BCHW, weight, self.bias, self.stride)


class Bottleneck(nn.Module):
    def __init__(self, inplanes: int, outplanes: int) -> None:
        super().__init__()
        self.conv1 = StdConv(inplanes, inplanes, 1, 1, bias=False)
        self.gn1 = nn.GroupNorm(32, inplanes, eps=1e-4)
        self.conv2 = StdConv(inplanes, inplanes, 3, 1, bias=False)
        self.gn2 = nn.GroupNorm(32, inplanes, eps=1e-4)
        self.conv3 = StdConv(inplanes, outplanes, 1, 1, bias=False)
        self.gn3 = nn.GroupNorm(32, outplanes, eps=1e-4)
        self.conv_proj = StdConv(inplanes, outplanes, 1, 1, bias=False)
        self.gn_proj = nn.GroupNorm(32, outplanes, eps=1e-4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = self.gn_proj(self.conv_proj(x))
        y = F.relu(self.gn1(self.conv1(x)))
        y = F.relu(self.gn2(self.conv2(y)))
        return F.relu(self.gn3(self.conv3(y)) + identity)


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x_BND: torch.Tensor, mask_BN: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x_BND.shape
        heads = [
            proj(x_BND).reshape(batch, length, self.num_heads, dim // self.num_heads).permute(0, 2, 1, 3)
            for proj in (self.query, self.key, self.value)
        ]
        scores = heads[0] @ heads[1].transpose(-2, -1) * (dim // self.num_heads) ** -0.5
        # Padded patches neither attend nor are attended to (their scores are set to -1000, not -inf).
        pair_mask = mask_BN.reshape(batch, 1, length, 1) * mask_BN.reshape(batch, 1, 1, length)
        scores = scores.masked_fill(pair_mask == 0, -1e3)
        out = (scores.softmax(dim=-1) @ heads[2]).transpose(1, 2).reshape(batch, length, dim)
        return self.out(out)


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim: int, mlp_dim: int, num_heads: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.attention = Attention(dim, num_heads)
        self.mlp = Mlp(dim, mlp_dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))


class HashPositions(nn.Module):
    def __init__(self, grid: int, dim: int) -> None:
        super().__init__()
        self.position_emb = nn.Parameter(torch.zeros(1, grid * grid, dim))


class ScaleEmbeddings(nn.Module):
    def __init__(self, num_scales: int, dim: int) -> None:
        super().__init__()
        self.scale_emb = nn.Parameter(torch.zeros(num_scales, dim))


class Encoder(nn.Module):
    def __init__(self, dim: int, mlp_dim: int, num_heads: int, num_layers: int, num_scales: int) -> None:
        super().__init__()
        self.posembed_input = HashPositions(HASH_GRID, dim)
        self.scaleembed_input = ScaleEmbeddings(num_scales, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder_norm = nn.LayerNorm(dim, eps=1e-6)
        self.transformer = nn.ModuleDict(
            {f"encoderblock_{i}": Block(dim, mlp_dim, num_heads) for i in range(num_layers)}
        )

    def forward(
        self, x_BND: torch.Tensor, spatial_BN: torch.Tensor, scale_BN: torch.Tensor, mask_BN: torch.Tensor
    ) -> torch.Tensor:
        x_BND = (
            x_BND
            + self.posembed_input.position_emb[0][spatial_BN.long()]
            + self.scaleembed_input.scale_emb[scale_BN.long()]
        )
        x_BND = torch.cat([self.cls.repeat(x_BND.shape[0], 1, 1), x_BND], dim=1)
        mask_BN = torch.cat([torch.ones_like(mask_BN[:, :1]), mask_BN], dim=1)
        for block in self.transformer.values():
            x_BND = block(x_BND, mask_BN)
        return self.encoder_norm(x_BND)


class Musiq(nn.Module):
    """MUSIQ with a single-score head (SPAQ, KonIQ): images in [0, 1] -> (B,) scores."""

    def __init__(
        self, hidden_size: int = 384, mlp_dim: int = 1152, num_heads: int = 6, num_layers: int = 14
    ) -> None:
        super().__init__()
        stem = 64
        self.conv_root = StdConv(3, stem, 7, 2, bias=False)
        self.gn_root = nn.GroupNorm(32, stem, eps=1e-6)
        self.block1 = Bottleneck(stem, stem * 4)
        self.embedding = nn.Linear(stem * 4 * (PATCH_SIZE // 4) ** 2, hidden_size)
        self.transformer_encoder = Encoder(
            hidden_size, mlp_dim, num_heads, num_layers, num_scales=len(LONGER_SIDES) + 1
        )
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, images_BCHW: torch.Tensor) -> torch.Tensor:
        tokens = multiscale_patches(images_BCHW * 2.0 - 1.0)  # the official model reads [-1, 1]
        patches_BNP, spatial_BN, scale_BN, mask_BN = (
            tokens[..., :-3],
            tokens[..., -3],
            tokens[..., -2],
            tokens[..., -1],
        )
        batch, length, _ = patches_BNP.shape
        x = self.gn_root(self.conv_root(patches_BNP.reshape(-1, 3, PATCH_SIZE, PATCH_SIZE)))
        x = F.max_pool2d(same_padding(F.relu(x), 3, 2), 3, 2)
        x = self.block1(x).permute(0, 2, 3, 1).reshape(batch, length, -1)  # TensorFlow's channel-last order
        encoded = self.transformer_encoder(self.embedding(x), spatial_BN, scale_BN, mask_BN.bool())
        return self.head(encoded[:, 0])[:, 0]


def hashed_positions(grid: int, count_h: int, count_w: int) -> torch.Tensor:
    """(count_h * count_w,) indices into a grid x grid table: each patch row/column maps to the grid
    by nearest-neighbour resizing (MUSIQ's hash-based spatial embedding)."""
    rows = torch.div(torch.arange(count_h) * grid, count_h, rounding_mode="floor")
    cols = torch.div(torch.arange(count_w) * grid, count_w, rounding_mode="floor")
    return (rows[:, None] * grid + cols[None, :]).reshape(-1).float()


def _patches_with_positions(image_BCHW: torch.Tensor, scale_id: int, max_len: int | None) -> torch.Tensor:
    batch, _, height, width = image_BCHW.shape
    patches_BPN = F.unfold(same_padding(image_BCHW, PATCH_SIZE, PATCH_SIZE), PATCH_SIZE, stride=PATCH_SIZE)
    spatial_B1N = hashed_positions(HASH_GRID, math.ceil(height / PATCH_SIZE), math.ceil(width / PATCH_SIZE))
    spatial_B1N = spatial_B1N.to(patches_BPN)[None, None].repeat(batch, 1, 1)
    out = torch.cat(
        [patches_BPN, spatial_B1N, torch.full_like(spatial_B1N, scale_id), torch.ones_like(spatial_B1N)], 1
    )
    if max_len is not None:  # pad with zeros (mask 0) or cut to a fixed length
        out = torch.cat([out, torch.zeros(batch, out.shape[1], max_len).to(out)], dim=-1)[..., :max_len]
    return out


def multiscale_patches(image_BCHW: torch.Tensor) -> torch.Tensor:
    """(B, N, P + 3) patch sequence: for each longer side in `LONGER_SIDES` the bicubic-resized image's
    patches padded to ceil(side / 32)^2, then all native-resolution patches; the last three values of
    each row are its hashed position, scale index and mask."""
    height, width = image_BCHW.shape[-2:]
    outputs = []
    for scale_id, side in enumerate(sorted(LONGER_SIDES)):
        ratio = side / max(height, width)
        resized = F.interpolate(
            image_BCHW, (round(height * ratio), round(width * ratio)), mode="bicubic", align_corners=False
        )
        outputs.append(_patches_with_positions(resized, scale_id, int(np.ceil(side / PATCH_SIZE) ** 2)))
    outputs.append(_patches_with_positions(image_BCHW, len(LONGER_SIDES), None))
    return torch.cat(outputs, dim=-1).transpose(1, 2)


def load_musiq(path: str | Path, device: str = "cpu") -> Musiq:
    """MUSIQ from pyiqa's checkpoint (a plain state dict, or under "params"), with `weights_only=True`."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise WeightsNotFoundError(
            f"MUSIQ weights not found: {path}.",
            f"download {MUSIQ_SPAQ_WEIGHTS_FILE} (pyiqa's MUSIQ-SPAQ, github.com/chaofengc/IQA-PyTorch releases) and pass "
            "it with --musiq-weights.",
        )
    state_dict = load_weights_only(path)
    state_dict = state_dict.get("params", state_dict)
    state_dict = {key.removeprefix("module."): value for key, value in state_dict.items()}
    if "embedding.weight" not in state_dict:
        raise WeightsNotFoundError(
            f"{path.name} is not a MUSIQ checkpoint.", f"pass pyiqa's {MUSIQ_SPAQ_WEIGHTS_FILE}."
        )
    # Sizes come from the weights (the real model: hidden 384, MLP 1152, 14 layers; tests use smaller).
    num_layers = len(
        {key.split(".")[2] for key in state_dict if key.startswith("transformer_encoder.transformer.")}
    )
    model = Musiq(
        hidden_size=state_dict["embedding.weight"].shape[0],
        mlp_dim=state_dict["transformer_encoder.transformer.encoderblock_0.mlp.fc1.weight"].shape[0],
        num_layers=num_layers,
    )
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    if missing or unexpected:
        raise WeightsNotFoundError(
            f"{path.name} is not a single-score MUSIQ checkpoint: missing {missing[:3]}, unexpected {unexpected[:3]}.",
            f"pass pyiqa's {MUSIQ_SPAQ_WEIGHTS_FILE}.",
        )
    return model.eval().to(device)


VBENCH_LONGER_SIDE = 512


def vbench_frame_tensor(frame_HWC: np.ndarray, longer_side: int = VBENCH_LONGER_SIDE) -> torch.Tensor:
    """A uint8 frame as VBench's imaging-quality step feeds it: longer side shrunk to 512 when
    larger (bilinear, no antialiasing, rounded back to 8 bits as torchvision does for uint8), then
    (1, 3, H, W) in [0, 1]."""
    image = torch.from_numpy(np.ascontiguousarray(frame_HWC)).permute(2, 0, 1)[None]
    height, width = image.shape[-2:]
    if max(height, width) > longer_side:
        scale = longer_side / max(height, width)
        resized = F.interpolate(
            image.float(),
            size=(int(scale * height), int(scale * width)),
            mode="bilinear",
            align_corners=False,
            antialias=False,
        )
        image = resized.round().clamp(0, 255).to(torch.uint8)
    return image.float() / 255.0
