"""CurricularFace IR-101: the identity encoder of the challenge's FaceSim-Cur score.

The backbone is the "improved residual" network of ArcFace (Deng et al., CVPR 2019, section 3.2:
BN-Conv-BN-PReLU-Conv-BN units, a BN-Dropout-FC-BN output head) trained with the CurricularFace loss
(Huang et al., CVPR 2020) on Glint360K. ConsisID-preview ships it as
`face_encoder/glint360k_curricular_face_r101_backbone.bin`; our module keeps that file's parameter
names so it loads as is. Inputs are 112x112 RGB crops scaled to [-1, 1]; the output is a 512-d
vector (not normalised; `embed` normalises it).

Shape legend: B batch, C channels, H/W pixels.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ipvg.errors import WeightsNotFoundError

EMBEDDING_DIM = 512
INPUT_SIZE = 112
# Residual units per stage for each depth (the "IR-101" checkpoint is the 100-layer layout).
STAGE_UNITS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 14, 3), 100: (3, 13, 30, 3)}
STAGE_CHANNELS = (64, 128, 256, 512)
CHECKPOINT_HINT = (
    "download it with `hf download BestWishYsh/ConsisID-preview "
    "face_encoder/glint360k_curricular_face_r101_backbone.bin` and pass its path with `weights=` "
    "(CLI: --curricularface-weights PATH)."
)


class Subsample(nn.Module):
    """Keep every `stride`-th pixel: the identity shortcut of a strided unit (no parameters)."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x_BCHW: torch.Tensor) -> torch.Tensor:
        return x_BCHW[:, :, :: self.stride, :: self.stride]


class ImprovedResidualUnit(nn.Module):
    """BN -> 3x3 conv -> BN -> PReLU -> 3x3 conv (strided) -> BN, plus a shortcut (ArcFace's IR unit)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if in_channels == out_channels:
            self.shortcut_layer: nn.Module = Subsample(stride)
        else:
            self.shortcut_layer = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels)
            )
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.PReLU(out_channels),
            nn.Conv2d(out_channels, out_channels, 3, stride, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x_BCHW: torch.Tensor) -> torch.Tensor:
        return self.res_layer(x_BCHW) + self.shortcut_layer(x_BCHW)


class IResNet(nn.Module):
    """Improved ResNet face backbone for 112x112 crops -> 512-d identity features."""

    def __init__(self, num_layers: int = 100) -> None:
        super().__init__()
        if num_layers not in STAGE_UNITS:
            raise ValueError(f"`num_layers` must be one of {sorted(STAGE_UNITS)}; got {num_layers}.")
        self.num_layers = num_layers
        self.input_layer = nn.Sequential(
            nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.PReLU(64)
        )
        units: list[nn.Module] = []
        in_channels = 64
        for num_units, channels in zip(STAGE_UNITS[num_layers], STAGE_CHANNELS, strict=True):
            # Each stage halves the resolution in its first unit: 112 -> 56 -> 28 -> 14 -> 7.
            units.append(ImprovedResidualUnit(in_channels, channels, stride=2))
            units += [ImprovedResidualUnit(channels, channels, stride=1) for _ in range(num_units - 1)]
            in_channels = channels
        self.body = nn.Sequential(*units)
        final_side = INPUT_SIZE // 16
        self.output_layer = nn.Sequential(
            nn.BatchNorm2d(512),
            nn.Dropout(0.4),
            nn.Flatten(),
            nn.Linear(512 * final_side * final_side, EMBEDDING_DIM),
            nn.BatchNorm1d(EMBEDDING_DIM, affine=False),
        )

    def forward(self, pixels_BCHW: torch.Tensor) -> torch.Tensor:
        """`pixels_BCHW`: RGB in [-1, 1], 112x112. Returns (B, 512) raw features."""
        return self.output_layer(self.body(self.input_layer(pixels_BCHW)))


def num_layers_of(state_dict: dict[str, torch.Tensor]) -> int:
    """The depth whose unit count matches the checkpoint's `body.N` entries."""
    num_units = 1 + max((int(key.split(".")[1]) for key in state_dict if key.startswith("body.")), default=-1)
    for num_layers, stage_units in STAGE_UNITS.items():
        if sum(stage_units) == num_units:
            return num_layers
    raise WeightsNotFoundError(
        f"The checkpoint has {num_units} residual units, which matches no IR depth ({sorted(STAGE_UNITS)}).",
        f"it is not a CurricularFace/ArcFace IR backbone; {CHECKPOINT_HINT}",
    )


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a `.bin`/`.pt` (loaded with `weights_only=True`: no code runs) or `.safetensors` file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise WeightsNotFoundError(f"CurricularFace weights not found at {path}.", CHECKPOINT_HINT)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        # weights_only refuses pickled code (UnpicklingError); truncated or foreign files raise
        # RuntimeError, EOFError, BadZipFile, ... depending on where they break.
        raise WeightsNotFoundError(
            f"Cannot read {path} as a PyTorch checkpoint ({type(error).__name__}: {str(error)[:120]}).",
            f"the file is corrupt, truncated or not a weights file; {CHECKPOINT_HINT}",
        ) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsNotFoundError(
            f"{path} does not hold a dictionary of tensors (a state dict).", CHECKPOINT_HINT
        )
    # Checkpoints saved from DataParallel prefix every name with "module.".
    return {key.removeprefix("module."): value for key, value in state.items()}


def load_curricularface(path: str | Path, *, device: str | torch.device = "cpu") -> IResNet:
    """An `IResNet` in eval mode with the weights in `path`; a wrong or corrupt file raises
    `WeightsNotFoundError` saying what is wrong."""
    state = read_state_dict(path)
    model = IResNet(num_layers_of(state))
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = [key for key in expected if key in state and state[key].shape != expected[key].shape]
    if missing or unexpected or mismatched:
        details = "; ".join(
            f"{label} {len(keys)} (e.g. {keys[0]})"
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", mismatched))
            if keys
        )
        raise WeightsNotFoundError(
            f"{path} is not a CurricularFace IR-{model.num_layers} backbone: parameters {details}.",
            CHECKPOINT_HINT,
        )
    model.load_state_dict(state)
    return model.eval().to(device)
