"""AMT-S frame interpolation in plain torch, for VBench's motion smoothness.

Li et al., "AMT: All-Pairs Multi-Field Transforms for Efficient Frame Interpolation", CVPR 2023.
Module and parameter names follow the authors' `networks/AMT-S.py` (as vendored by VBench), so the
released `amt-s.pth` loads unchanged: a RAFT-style small feature encoder builds a bidirectional
all-pairs correlation pyramid at 1/8 resolution; an IFRNet-style pyramid encoder/decoder predicts
flows from the middle frame to both inputs, refined at 1/8, 1/4, 1/2 by lookups in the correlation
volume; the last decoder predicts several flow fields, masks and residuals, merged by a small CNN.

Shape legend: B batch, C channels, H height, W width; flows are (B, 2, H, W) pixel offsets (x, y).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ipvg.errors import WeightsNotFoundError
from ipvg.eval.inception import load_weights_only

AMT_S_WEIGHTS_FILE = "amt-s.pth"
PYRAMID_CHANNELS = (20, 32, 44, 56)
SKIP_CHANNELS = 20


def resize(x_BCHW: torch.Tensor, scale_factor: float) -> torch.Tensor:
    return F.interpolate(x_BCHW, scale_factor=scale_factor, mode="bilinear", align_corners=False)


def warp(image_BCHW: torch.Tensor, flow_B2HW: torch.Tensor) -> torch.Tensor:
    """Backward-warp `image` by `flow` (bilinear, border padding), in normalised grid coordinates."""
    batch, _, height, width = flow_B2HW.shape
    xs = torch.linspace(-1.0, 1.0, width).view(1, 1, 1, width).expand(batch, -1, height, -1)
    ys = torch.linspace(-1.0, 1.0, height).view(1, 1, height, 1).expand(batch, -1, -1, width)
    grid_B2HW = torch.cat([xs, ys], 1).to(image_BCHW)
    scaled_B2HW = torch.cat(
        [flow_B2HW[:, 0:1] / ((width - 1.0) / 2.0), flow_B2HW[:, 1:2] / ((height - 1.0) / 2.0)], 1
    )
    grid_BHW2 = (grid_B2HW + scaled_B2HW).permute(0, 2, 3, 1)
    return F.grid_sample(image_BCHW, grid_BHW2, mode="bilinear", padding_mode="border", align_corners=True)


def pixel_grid(batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
    """(B, 2, H, W) pixel coordinates, x first."""
    ys, xs = torch.meshgrid(
        torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij"
    )
    return torch.stack([xs, ys], dim=0).float()[None].repeat(batch, 1, 1, 1)


def sample_pixels(volume: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """`grid_sample` at pixel coordinates (x, y) in the last dimension (align_corners=True)."""
    height, width = volume.shape[-2:]
    x, y = coords.split([1, 1], dim=-1)
    grid = torch.cat([2 * x / (width - 1) - 1, 2 * y / (height - 1) - 1], dim=-1)
    return F.grid_sample(volume, grid, align_corners=True)


def conv_prelu(
    in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, padding: int = 1
) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.PReLU(out_channels)
    )


# --- the RAFT-style feature encoder (instance norm, so it has no norm parameters) ---


class Bottleneck(nn.Module):
    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes // 4, kernel_size=1)
        self.conv2 = nn.Conv2d(planes // 4, planes // 4, kernel_size=3, padding=1, stride=stride)
        self.conv3 = nn.Conv2d(planes // 4, planes, kernel_size=1)
        self.norm1, self.norm2 = nn.InstanceNorm2d(planes // 4), nn.InstanceNorm2d(planes // 4)
        self.norm3 = nn.InstanceNorm2d(planes)
        self.downsample = (
            None
            if stride == 1
            else nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride), nn.InstanceNorm2d(planes)
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        y = F.relu(self.norm2(self.conv2(y)))
        y = F.relu(self.norm3(self.conv3(y)))
        return F.relu((x if self.downsample is None else self.downsample(x)) + y)


class FeatureEncoder(nn.Module):
    """1/8-resolution features for the correlation volume."""

    def __init__(self, output_dim: int = 84) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=7, stride=2, padding=3)
        self.norm1 = nn.InstanceNorm2d(32)
        self.layer1 = nn.Sequential(Bottleneck(32, 32), Bottleneck(32, 32))
        self.layer2 = nn.Sequential(Bottleneck(32, 64, stride=2), Bottleneck(64, 64))
        self.layer3 = nn.Sequential(Bottleneck(64, 96, stride=2), Bottleneck(96, 96))
        self.conv2 = nn.Conv2d(96, output_dim, kernel_size=1)

    def forward(self, x_BCHW: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.norm1(self.conv1(x_BCHW)))
        return self.conv2(self.layer3(self.layer2(self.layer1(x))))


class BidirectionalCorrelation:
    """All-pairs correlation of two feature maps, pooled into `num_levels` levels, looked up in a
    (2r+1)^2 window around given coordinates in both directions (RAFT, Teed & Deng, ECCV 2020)."""

    def __init__(
        self, features0_BCHW: torch.Tensor, features1_BCHW: torch.Tensor, num_levels: int = 4, radius: int = 3
    ) -> None:
        self.num_levels, self.radius = num_levels, radius
        batch, dim, height, width = features0_BCHW.shape
        corr = features0_BCHW.view(batch, dim, height * width).transpose(1, 2) @ features1_BCHW.view(
            batch, dim, height * width
        )
        corr = (corr / torch.sqrt(torch.tensor(dim).float())).view(batch, height, width, 1, height, width)
        forward = corr.reshape(batch * height * width, 1, height, width)
        backward = corr.permute(0, 4, 5, 3, 1, 2).reshape(batch * height * width, 1, height, width)
        self.forward_levels, self.backward_levels = [forward], [backward]
        for _ in range(num_levels - 1):
            forward, backward = F.avg_pool2d(forward, 2, stride=2), F.avg_pool2d(backward, 2, stride=2)
            self.forward_levels.append(forward)
            self.backward_levels.append(backward)

    def __call__(
        self, coords0_B2HW: torch.Tensor, coords1_B2HW: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r = self.radius
        coords0, coords1 = coords0_B2HW.permute(0, 2, 3, 1), coords1_B2HW.permute(0, 2, 3, 1)
        batch, height, width, _ = coords0.shape
        offsets = torch.linspace(-r, r, 2 * r + 1, device=coords0.device)
        window = torch.stack(torch.meshgrid(offsets, offsets, indexing="ij"), dim=-1).view(
            1, 2 * r + 1, 2 * r + 1, 2
        )
        forward_out, backward_out = [], []
        for level in range(self.num_levels):
            centre0 = coords0.reshape(batch * height * width, 1, 1, 2) / 2**level
            centre1 = coords1.reshape(batch * height * width, 1, 1, 2) / 2**level
            forward_out.append(
                sample_pixels(self.forward_levels[level], centre0 + window).view(batch, height, width, -1)
            )
            backward_out.append(
                sample_pixels(self.backward_levels[level], centre1 + window).view(batch, height, width, -1)
            )
        return (
            torch.cat(forward_out, dim=-1).permute(0, 3, 1, 2).contiguous().float(),
            torch.cat(backward_out, dim=-1).permute(0, 3, 1, 2).contiguous().float(),
        )


class UpdateBlock(nn.Module):
    """Residual update of the intermediate feature and both flows from correlation lookups."""

    def __init__(self, cdim: int, scale_factor: int | None, corr_levels: int = 4, radius: int = 3) -> None:
        super().__init__()
        hidden_dim, flow_dim, corr_dim, fc_dim = 76, 20, 64, 68
        corr_planes = corr_levels * (2 * radius + 1) ** 2
        self.scale_factor = scale_factor
        self.convc1 = nn.Conv2d(2 * corr_planes, corr_dim, 1)
        self.convf1 = nn.Conv2d(4, flow_dim * 2, 7, padding=3)
        self.convf2 = nn.Conv2d(flow_dim * 2, flow_dim, 3, padding=1)
        self.conv = nn.Conv2d(corr_dim + flow_dim, fc_dim, 3, padding=1)
        self.gru = _two_convs(fc_dim + 4 + cdim, hidden_dim, hidden_dim)
        self.feat_head = _two_convs(hidden_dim, hidden_dim, cdim)
        self.flow_head = _two_convs(hidden_dim, hidden_dim, 4)

    def forward(
        self, feature: torch.Tensor, flow: torch.Tensor, corr: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.scale_factor is not None:
            feature = resize(feature, 1 / self.scale_factor)
        corr_features = F.leaky_relu(self.convc1(corr), 0.1)
        flow_features = F.leaky_relu(self.convf2(F.leaky_relu(self.convf1(flow), 0.1)), 0.1)
        motion = F.leaky_relu(self.conv(torch.cat([corr_features, flow_features], dim=1)), 0.1)
        hidden = self.gru(torch.cat([motion, flow, feature], dim=1))
        delta_feature, delta_flow = self.feat_head(hidden), self.flow_head(hidden)
        if self.scale_factor is not None:
            delta_feature = resize(delta_feature, self.scale_factor)
            delta_flow = self.scale_factor * resize(delta_flow, self.scale_factor)
        return delta_feature, delta_flow


def _two_convs(in_channels: int, hidden: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, hidden, 3, padding=1),
        nn.LeakyReLU(0.1),
        nn.Conv2d(hidden, out_channels, 3, padding=1),
    )


# --- the IFRNet-style pyramid encoder and decoders ---


class SideResBlock(nn.Module):
    """Residual block whose last `side_channels` channels get extra convolutions (IFRNet)."""

    def __init__(self, channels: int, side_channels: int) -> None:
        super().__init__()
        self.side_channels = side_channels
        self.conv1 = conv_prelu(channels, channels)
        self.conv2 = conv_prelu(side_channels, side_channels)
        self.conv3 = conv_prelu(channels, channels)
        self.conv4 = conv_prelu(side_channels, side_channels)
        self.conv5 = nn.Conv2d(channels, channels, 3, 1, 1)
        self.prelu = nn.PReLU(channels)

    def _side(self, x: torch.Tensor, conv: nn.Module) -> torch.Tensor:
        return torch.cat([x[:, : -self.side_channels], conv(x[:, -self.side_channels :])], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv3(self._side(self.conv1(x), self.conv2))
        return self.prelu(x + self.conv5(self._side(out, self.conv4)))


class PyramidEncoder(nn.Module):
    def __init__(self, channels: tuple[int, ...] = PYRAMID_CHANNELS) -> None:
        super().__init__()
        previous = 3
        for index, width in enumerate(channels, start=1):
            self.register_module(
                f"pyramid{index}",
                nn.Sequential(conv_prelu(previous, width, 3, 2, 1), conv_prelu(width, width)),
            )
            previous = width
        self.num_levels = len(channels)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for index in range(1, self.num_levels + 1):
            x = getattr(self, f"pyramid{index}")(x)
            features.append(x)
        return features


class InitDecoder(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, skip_ch: int) -> None:
        super().__init__()
        self.convblock = nn.Sequential(
            conv_prelu(in_ch * 2 + 1, in_ch * 2),
            SideResBlock(in_ch * 2, skip_ch),
            nn.ConvTranspose2d(in_ch * 2, out_ch + 4, 4, 2, 1),
        )

    def forward(self, f0: Tensor, f1: Tensor, embt: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        time_map = embt.repeat(1, 1, *f0.shape[2:])
        out = self.convblock(torch.cat([f0, f1, time_map], 1))
        flow0, flow1 = torch.chunk(out[:, :4], 2, 1)
        return flow0, flow1, out[:, 4:]


class IntermediateDecoder(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, skip_ch: int) -> None:
        super().__init__()
        self.convblock = nn.Sequential(
            conv_prelu(in_ch * 3 + 4, in_ch * 3),
            SideResBlock(in_ch * 3, skip_ch),
            nn.ConvTranspose2d(in_ch * 3, out_ch + 4, 4, 2, 1),
        )

    def forward(
        self, feature: Tensor, f0: Tensor, f1: Tensor, flow0_in: Tensor, flow1_in: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        out = self.convblock(
            torch.cat([feature, warp(f0, flow0_in), warp(f1, flow1_in), flow0_in, flow1_in], 1)
        )
        flow0, flow1 = torch.chunk(out[:, :4], 2, 1)
        return flow0 + 2.0 * resize(flow0_in, 2.0), flow1 + 2.0 * resize(flow1_in, 2.0), out[:, 4:]


class MultiFlowDecoder(nn.Module):
    def __init__(self, in_ch: int, skip_ch: int, num_flows: int) -> None:
        super().__init__()
        self.num_flows = num_flows
        self.convblock = nn.Sequential(
            conv_prelu(in_ch * 3 + 4, in_ch * 3),
            SideResBlock(in_ch * 3, skip_ch),
            nn.ConvTranspose2d(in_ch * 3, 8 * num_flows, 4, 2, 1),
        )

    def forward(
        self, feature: Tensor, f0: Tensor, f1: Tensor, flow0: Tensor, flow1: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        n = self.num_flows
        out = self.convblock(torch.cat([feature, warp(f0, flow0), warp(f1, flow1), flow0, flow1], 1))
        delta0, delta1, mask, residual = torch.split(out, [2 * n, 2 * n, n, 3 * n], 1)
        flow0 = delta0 + 2.0 * resize(flow0, 2.0).repeat(1, n, 1, 1)
        flow1 = delta1 + 2.0 * resize(flow1, 2.0).repeat(1, n, 1, 1)
        return flow0, flow1, torch.sigmoid(mask), residual


def combine_flows(
    comb_block: nn.Module,
    img0: Tensor,
    img1: Tensor,
    flow0: Tensor,
    flow1: Tensor,
    mask: Tensor,
    residual: Tensor,
    mean: Tensor,
) -> Tensor:
    """Warp both inputs by each of the N flow pairs, blend by mask, add the residual and the removed
    mean; average the N candidates and add the combination CNN's correction."""
    batch, channels, height, width = flow0.shape
    n = channels // 2
    flow0 = flow0.reshape(batch * n, 2, height, width)
    flow1 = flow1.reshape(batch * n, 2, height, width)
    mask = mask.reshape(batch * n, 1, height, width)
    residual = residual.reshape(batch * n, 3, height, width)
    img0 = torch.stack([img0] * n, 1).reshape(-1, 3, height, width)
    img1 = torch.stack([img1] * n, 1).reshape(-1, 3, height, width)
    mean = torch.stack([mean] * n, 1).reshape(-1, 1, 1, 1)
    candidates = mask * warp(img0, flow0) + (1 - mask) * warp(img1, flow1) + mean + residual
    candidates = candidates.reshape(batch, n, 3, height, width)
    return candidates.mean(1) + comb_block(candidates.view(batch, -1, height, width))


class AmtS(nn.Module):
    """AMT-S: interpolates the frame at time `embt` (0..1) between `img0` and `img1` (RGB in [0, 1])."""

    def __init__(self, corr_radius: int = 3, corr_levels: int = 4, num_flows: int = 3) -> None:
        super().__init__()
        c0, c1, c2, c3 = PYRAMID_CHANNELS
        self.radius, self.corr_levels, self.num_flows = corr_radius, corr_levels, num_flows
        self.feat_encoder = FeatureEncoder(output_dim=84)
        self.encoder = PyramidEncoder(PYRAMID_CHANNELS)
        self.decoder4 = InitDecoder(c3, c2, SKIP_CHANNELS)
        self.decoder3 = IntermediateDecoder(c2, c1, SKIP_CHANNELS)
        self.decoder2 = IntermediateDecoder(c1, c0, SKIP_CHANNELS)
        self.decoder1 = MultiFlowDecoder(c0, SKIP_CHANNELS, num_flows)
        self.update4 = UpdateBlock(c2, None, corr_levels, corr_radius)
        self.update3 = UpdateBlock(c1, 2, corr_levels, corr_radius)
        self.update2 = UpdateBlock(c0, 4, corr_levels, corr_radius)
        self.comb_block = nn.Sequential(
            nn.Conv2d(3 * num_flows, 6 * num_flows, 3, 1, 1),
            nn.PReLU(6 * num_flows),
            nn.Conv2d(6 * num_flows, 3, 3, 1, 1),
        )

    @staticmethod
    def _lookup(
        correlation: BidirectionalCorrelation,
        coords: Tensor,
        flow0: Tensor,
        flow1: Tensor,
        embt: Tensor,
        downsample: int,
    ) -> tuple[Tensor, Tensor]:
        # Linear motion: the flow t->0 scaled by 1/(1-t) points from frame 1 to frame 0, and t->1 by 1/t
        # from frame 0 to frame 1; look both up in the 1/8-resolution correlation volume.
        if downsample != 1:
            flow0 = resize(flow0, 1 / downsample) / downsample
            flow1 = resize(flow1, 1 / downsample) / downsample
        corr0, corr1 = correlation(coords + flow1 / embt, coords + flow0 / (1.0 - embt))
        return torch.cat([corr0, corr1], dim=1), torch.cat([flow0, flow1], dim=1)

    def _refine(
        self,
        update: UpdateBlock,
        feature: Tensor,
        flow0: Tensor,
        flow1: Tensor,
        correlation: BidirectionalCorrelation,
        coords: Tensor,
        embt: Tensor,
        downsample: int,
    ) -> tuple[Tensor, Tensor, Tensor]:
        corr, flow = self._lookup(correlation, coords, flow0, flow1, embt, downsample)
        delta_feature, delta_flow = update(feature, flow, corr)
        delta0, delta1 = torch.chunk(delta_flow, 2, 1)
        return flow0 + delta0, flow1 + delta1, feature + delta_feature

    def forward(
        self, img0: torch.Tensor, img1: torch.Tensor, embt: torch.Tensor, scale_factor: float = 1.0
    ) -> torch.Tensor:
        """(B, 3, H, W) x2 in [0, 1], H and W multiples of 16 -> the interpolated frame in [0, 1]."""
        # 1. Remove the pair's mean colour; optionally work at a lower resolution.
        mean = torch.cat([img0, img1], 2).mean(1, keepdim=True).mean(2, keepdim=True).mean(3, keepdim=True)
        img0, img1 = img0 - mean, img1 - mean
        small0 = resize(img0, scale_factor) if scale_factor != 1.0 else img0
        small1 = resize(img1, scale_factor) if scale_factor != 1.0 else img1
        batch, _, height, width = small0.shape
        coords = pixel_grid(batch, height // 8, width // 8, img0.device)
        # 2. Correlation volume at 1/8 and the feature pyramids of both frames.
        features0, features1 = torch.split(
            self.feat_encoder(torch.cat([small0, small1], 0)), [batch, batch], 0
        )
        correlation = BidirectionalCorrelation(
            features0, features1, num_levels=self.corr_levels, radius=self.radius
        )
        f0_1, f0_2, f0_3, f0_4 = self.encoder(small0)
        f1_1, f1_2, f1_3, f1_4 = self.encoder(small1)
        # 3. Coarse-to-fine flows, each level refined by correlation lookups.
        flow0, flow1, feature = self.decoder4(f0_4, f1_4, embt)
        flow0, flow1, feature = self._refine(
            self.update4, feature, flow0, flow1, correlation, coords, embt, 1
        )
        flow0, flow1, feature = self.decoder3(feature, f0_3, f1_3, flow0, flow1)
        flow0, flow1, feature = self._refine(
            self.update3, feature, flow0, flow1, correlation, coords, embt, 2
        )
        flow0, flow1, feature = self.decoder2(feature, f0_2, f1_2, flow0, flow1)
        flow0, flow1, feature = self._refine(
            self.update2, feature, flow0, flow1, correlation, coords, embt, 4
        )
        flow0, flow1, mask, residual = self.decoder1(feature, f0_1, f1_1, flow0, flow1)
        if scale_factor != 1.0:
            flow0 = resize(flow0, 1.0 / scale_factor) / scale_factor
            flow1 = resize(flow1, 1.0 / scale_factor) / scale_factor
            mask, residual = resize(mask, 1.0 / scale_factor), resize(residual, 1.0 / scale_factor)
        # 4. Merge the multiple flow fields' candidates.
        return torch.clamp(
            combine_flows(self.comb_block, img0, img1, flow0, flow1, mask, residual, mean), 0, 1
        )


def load_amt_s(path: str | Path, device: str = "cpu") -> AmtS:
    """AMT-S from the authors' checkpoint (`{"state_dict": ...}`), loaded with `weights_only=True`."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise WeightsNotFoundError(
            f"AMT-S weights not found: {path}.",
            f"download {AMT_S_WEIGHTS_FILE} (VBench's motion-smoothness model, huggingface.co/lalala125/AMT) and pass it "
            "with --amt-weights.",
        )
    checkpoint = load_weights_only(path)
    state_dict = checkpoint.get("state_dict", checkpoint)
    model = AmtS()
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    if missing or unexpected:
        raise WeightsNotFoundError(
            f"{path.name} is not an AMT-S checkpoint: missing {missing[:3]}, unexpected {unexpected[:3]}.",
            f"pass VBench's {AMT_S_WEIGHTS_FILE}.",
        )
    return model.eval().to(device)


def pad_to_multiple(
    x_BCHW: torch.Tensor, divisor: int = 16
) -> tuple[torch.Tensor, tuple[int, int, int, int]]:
    """Replicate-pad H and W up to multiples of `divisor`, split evenly (extra pixel right/bottom).
    Returns the padded tensor and the (left, right, top, bottom) padding."""
    height, width = x_BCHW.shape[-2:]
    pad_h, pad_w = -height % divisor, -width % divisor
    pads = (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2)
    return F.pad(x_BCHW, pads, mode="replicate"), pads


def unpad(x_BCHW: torch.Tensor, pads: tuple[int, int, int, int]) -> torch.Tensor:
    left, right, top, bottom = pads
    height, width = x_BCHW.shape[-2:]
    return x_BCHW[..., top : height - bottom, left : width - right]


def to_tensor(frame_HWC: np.ndarray) -> torch.Tensor:
    """uint8 RGB (H, W, 3) -> (1, 3, H, W) float in [0, 1] (VBench's `img2tensor`)."""
    return torch.from_numpy(frame_HWC.copy()).permute(2, 0, 1).unsqueeze(0) / 255.0


def to_uint8(image_BCHW: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) in [0, 1] -> uint8 (H, W, 3), truncating as VBench's `tensor2img` does."""
    return (image_BCHW * 255.0).detach()[0].permute(1, 2, 0).cpu().numpy().clip(0, 255).astype("uint8")


class MidFrameInterpolator:
    """Predicts the frame halfway between two frames with AMT-S (VBench's motion-smoothness setup:
    inputs padded to multiples of 16, t = 1/2, full resolution)."""

    def __init__(self, model: AmtS, device: str = "cpu") -> None:
        self.model, self.device = model.eval().to(device), device
        self.embt = torch.tensor(0.5).view(1, 1, 1, 1).to(device)

    def __call__(self, frame0_HWC: np.ndarray, frame1_HWC: np.ndarray) -> np.ndarray:
        padded0, pads = pad_to_multiple(to_tensor(frame0_HWC).to(self.device))
        padded1, _ = pad_to_multiple(to_tensor(frame1_HWC).to(self.device))
        with torch.no_grad():
            middle = self.model(padded0, padded1, self.embt)
        return to_uint8(unpad(middle, pads))
