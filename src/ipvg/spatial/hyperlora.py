"""HyperLoRA (Li et al., "HyperLoRA: Parameter-Efficient Adaptive Generation for Portrait Synthesis",
CVPR 2025, arXiv 2503.16944) for diffusers: a face -> the weights of a rank-r identity LoRA for SDXL.

Written from the paper's architecture and the released weight files (no diffusers implementation
exists; the reference is a set of ComfyUI nodes). The network:

1. ArcFace embedding (unit, 512-d) -> `id_projector`: Linear -> `num_id_tokens` tokens of the CLIP width
   -> LayerNorm.
2. CLIP ViT-L/14 penultimate hidden states of the background-greyed face crop (`clip_tokens_BLC`).
3. A Perceiver resampler with `8 x num_modules` learned queries; each block: self-attention on the
   queries, cross-attention to the (projected) ID tokens, cross-attention to the (projected) CLIP
   tokens, feed-forward; then a projection to `hyper_dim`, the mean over reference images, and an
   L2 normalisation of every token.
4. Per target attention module 8 tokens: 2 each for to_q / to_k / to_v / to_out (down, up). Each token
   mixes learned bases (`[hyper_dim, in, rank]` for down, `[hyper_dim, rank, out]` for up) into
   that layer's LoRA matrices; alpha = rank / 2.

The output is a kohya-style LoRA state dict (`<module>_<layer>.lora_down.weight`, `.lora_up.weight`,
`.alpha`) that diffusers' `load_lora_weights` accepts.

Weight files (one folder): `hyper_lora_modules.json` (target module name -> hidden_size,
cross_attention_dim), `hyper_lora_modules.safetensors`, `resampler.safetensors`, and
`id_projector.safetensors` (absent for CLIP-only variants). The released files hold no resampler
head count; it defaults to the paper's 64-wide heads, and an optional `ipvg_hyperlora.json`
(`{"dim_head": 8}`) overrides it for reduced test models.

Shapes: B reference images, L CLIP tokens, C CLIP width, D resampler width, Q queries, H hyper_dim.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ipvg.errors import WeightsNotFoundError

HYPERLORA_FILES = ("hyper_lora_modules.json", "hyper_lora_modules.safetensors", "resampler.safetensors")
ID_PROJECTOR_FILE = "id_projector.safetensors"
OVERRIDES_FILE = "ipvg_hyperlora.json"
LAYER_NAMES = ("to_q", "to_k", "to_v", "to_out_0")  # token order inside one module's 8 tokens
TOKENS_PER_MODULE = 2 * len(LAYER_NAMES)


@dataclass(frozen=True)
class HyperLoRAShape:
    """The sizes of one HyperLoRA model, read from its weights."""

    dim: int  # resampler width D
    dim_head: int
    heads: int
    depth: int
    ff_mult: int
    embedding_dim: int  # CLIP width C (the ID tokens share it)
    hyper_dim: int  # H
    lora_rank: int
    num_modules: int
    num_conds: int  # 2: ID tokens + CLIP tokens; 1: one of them
    id_embed_dim: int | None  # ArcFace width (512), None without an ID projector
    num_id_tokens: int | None


class PerceiverBlock(nn.Module):
    """Self-attention on the queries, cross-attention to each condition, feed-forward (pre-norm)."""

    def __init__(self, dim: int, dim_head: int, heads: int, ff_mult: int, num_conds: int) -> None:
        super().__init__()
        from diffusers.models.attention import FeedForward
        from diffusers.models.attention_processor import Attention

        def attention() -> nn.Module:
            return Attention(
                query_dim=dim, cross_attention_dim=dim, heads=heads, dim_head=dim_head, out_bias=False
            )

        # Attribute names follow the released weight files.
        self.norm_attn1 = nn.LayerNorm(dim)
        self.attn1 = attention()
        self.norm_attn2_l = nn.LayerNorm(dim)
        self.norm_attn2_x = nn.LayerNorm(dim)
        self.attn2 = attention()
        if num_conds == 2:
            self.norm_attn3_l = nn.LayerNorm(dim)
            self.norm_attn3_y = nn.LayerNorm(dim)
            self.attn3 = attention()
        self.norm_ff = nn.LayerNorm(dim)
        self.ff = FeedForward(dim=dim, mult=ff_mult, activation_fn="gelu")

    def forward(
        self, cond_x_BLD: torch.Tensor, queries_BQD: torch.Tensor, cond_y_BLD: torch.Tensor | None
    ) -> torch.Tensor:
        normed = self.norm_attn1(queries_BQD)
        queries_BQD = queries_BQD + self.attn1(normed, encoder_hidden_states=normed)
        queries_BQD = queries_BQD + self.attn2(
            self.norm_attn2_l(queries_BQD), encoder_hidden_states=self.norm_attn2_x(cond_x_BLD)
        )
        if cond_y_BLD is not None:
            queries_BQD = queries_BQD + self.attn3(
                self.norm_attn3_l(queries_BQD), encoder_hidden_states=self.norm_attn3_y(cond_y_BLD)
            )
        return queries_BQD + self.ff(self.norm_ff(queries_BQD))


def l2_normalize_tokens(tokens: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Unit-length tokens; `eps` inside the root, as the trained model expects."""
    return tokens * torch.rsqrt(tokens.pow(2).sum(dim=-1, keepdim=True) + eps)


class HyperLoRAResampler(nn.Module):
    """Perceiver resampler: conditions -> Q unit-length coefficient tokens (mean over references)."""

    def __init__(self, shape: HyperLoRAShape) -> None:
        super().__init__()
        num_queries = TOKENS_PER_MODULE * shape.num_modules
        self.latents = nn.Parameter(torch.zeros(1, num_queries, shape.dim))
        self.proj_in = nn.Linear(shape.embedding_dim, shape.dim)
        if shape.num_conds == 2:
            self.proj_in_2 = nn.Linear(shape.embedding_dim, shape.dim)
        self.layers = nn.ModuleList(
            PerceiverBlock(shape.dim, shape.dim_head, shape.heads, shape.ff_mult, shape.num_conds)
            for _ in range(shape.depth)
        )
        self.proj_out = nn.Linear(shape.dim, shape.hyper_dim)

    def forward(self, cond_x_BLC: torch.Tensor, cond_y_BLC: torch.Tensor | None = None) -> torch.Tensor:
        queries_BQD = self.latents.expand(cond_x_BLC.shape[0], -1, -1)
        cond_x_BLD = self.proj_in(cond_x_BLC)
        cond_y_BLD = self.proj_in_2(cond_y_BLC) if cond_y_BLC is not None else None
        for layer in self.layers:
            queries_BQD = layer(cond_x_BLD, queries_BQD, cond_y_BLD)
        tokens_BQH = self.proj_out(queries_BQD)
        # Several reference photos of one person give one LoRA: average before normalising.
        return l2_normalize_tokens(tokens_BQH.mean(dim=0, keepdim=True))


class IdProjector(nn.Module):
    """ArcFace embedding -> `num_tokens` tokens of the CLIP width (Linear, reshape, LayerNorm)."""

    def __init__(self, id_embed_dim: int, num_tokens: int, width: int) -> None:
        super().__init__()
        self.num_tokens, self.width = num_tokens, width
        # Sequential indices 0 and 2 match the released `id_projector.safetensors` keys.
        self.layers = nn.ModuleList([nn.Linear(id_embed_dim, num_tokens * width), nn.Identity()])
        self.layers.append(nn.LayerNorm(width))

    def forward(self, id_embeds_BE: torch.Tensor) -> torch.Tensor:
        tokens_BTC = self.layers[0](id_embeds_BE).reshape(-1, self.num_tokens, self.width)
        return self.layers[2](tokens_BTC)


class HyperLoRALayer(nn.Module):
    """Learned bases of one linear layer; two unit tokens select its LoRA down and up matrices."""

    def __init__(self, hyper_dim: int, in_features: int, out_features: int, rank: int) -> None:
        super().__init__()
        self.id_down_basis = nn.Parameter(torch.zeros(hyper_dim, in_features, rank))
        self.id_up_basis = nn.Parameter(torch.zeros(hyper_dim, rank, out_features))

    def forward(self, tokens_2H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (lora_down [rank, in], lora_up [out, rank]) in kohya's orientation."""
        tokens_2H = tokens_2H.to(self.id_down_basis.dtype)
        down_IR = torch.einsum("h,hir->ir", tokens_2H[0], self.id_down_basis)
        up_RO = torch.einsum("h,hro->ro", tokens_2H[1], self.id_up_basis)
        return down_IR.t().float().contiguous(), up_RO.t().float().contiguous()


class HyperLoRAModule(nn.Module):
    """The four LoRA'd projections of one attention module."""

    def __init__(self, hyper_dim: int, hidden_size: int, cross_attention_dim: int | None, rank: int) -> None:
        super().__init__()
        context_dim = cross_attention_dim or hidden_size
        self.to_q = HyperLoRALayer(hyper_dim, hidden_size, hidden_size, rank)
        self.to_k = HyperLoRALayer(hyper_dim, context_dim, hidden_size, rank)
        self.to_v = HyperLoRALayer(hyper_dim, context_dim, hidden_size, rank)
        self.to_out = HyperLoRALayer(hyper_dim, hidden_size, hidden_size, rank)

    def forward(self, tokens_8H: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        layers = (self.to_q, self.to_k, self.to_v, self.to_out)
        return {
            name: layer(tokens_8H[2 * index : 2 * index + 2])
            for index, (name, layer) in enumerate(zip(LAYER_NAMES, layers, strict=True))
        }


_LDM_BLOCK = re.compile(r"^(?:(input_blocks|output_blocks)[._](\d+)|middle_block)[._]1[._]")


def ldm_to_diffusers_block(name: str) -> str:
    """SDXL's original (ldm/sgm) attention block names -> diffusers', for SDXL's layout (2 layers per
    level, attention at levels 1 and 2): `input_blocks.4.1.` -> `down_blocks.1.attentions.0.`."""
    match = _LDM_BLOCK.match(name)
    if match is None:
        return name
    kind, index = match.group(1), int(match.group(2) or 0)
    if kind == "input_blocks":
        block = f"down_blocks.{(index - 1) // 3}.attentions.{(index - 1) % 3}."
    elif kind == "output_blocks":
        block = f"up_blocks.{index // 3}.attentions.{index % 3}."
    else:
        block = "mid_block.attentions.0."
    return block + name[match.end() :]


def kohya_module_prefix(name: str) -> str:
    """Any naming of a UNet attention module -> its kohya LoRA prefix, e.g.
    `down_blocks.1.attentions.0.transformer_blocks.0.attn1(.processor)`, `input_blocks.4.1.transformer_blocks.0.attn1`
    or `lora_unet_down_blocks_1_..._attn1` -> `lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1`."""
    name = name.removesuffix(".processor").removeprefix("unet.").removeprefix("lora_unet_")
    name = ldm_to_diffusers_block(name.removeprefix("diffusion_model."))
    return "lora_unet_" + name.replace(".", "_")


class HyperLoRA(nn.Module):
    """ID projector + resampler + per-module bases; `forward` returns a kohya LoRA state dict."""

    def __init__(self, shape: HyperLoRAShape, modules_info: dict[str, dict[str, int | None]]) -> None:
        super().__init__()
        self.shape = shape
        self.module_names = list(modules_info)
        self.resampler = HyperLoRAResampler(shape)
        self.id_projector = (
            IdProjector(shape.id_embed_dim, shape.num_id_tokens, shape.embedding_dim)
            if shape.id_embed_dim is not None and shape.num_id_tokens is not None
            else None
        )
        self.hyper_lora_modules = nn.ModuleList(
            HyperLoRAModule(
                shape.hyper_dim, int(info["hidden_size"]), info.get("cross_attention_dim"), shape.lora_rank
            )  # type: ignore[arg-type]
            for info in modules_info.values()
        )

    @property
    def uses_id_embedding(self) -> bool:
        return self.id_projector is not None

    @property
    def uses_clip(self) -> bool:
        return self.id_projector is None or self.shape.num_conds == 2

    @torch.no_grad()
    def coefficient_tokens(
        self, id_embeds_BE: torch.Tensor | None, clip_tokens_BLC: torch.Tensor | None
    ) -> torch.Tensor:
        """The resampler's unit tokens [1, Q, H] for one identity (B reference photos)."""
        if self.id_projector is not None:
            if id_embeds_BE is None:
                raise ValueError("This HyperLoRA needs `id_embeds_BE` (ArcFace embeddings).")
            dtype = self.resampler.latents.dtype
            id_embeds_BE = id_embeds_BE.to(dtype)
            clip_tokens_BLC = clip_tokens_BLC.to(dtype) if clip_tokens_BLC is not None else None
            id_tokens_BTC = self.id_projector(id_embeds_BE.reshape(id_embeds_BE.shape[0], -1))
            if self.shape.num_conds == 2:
                if clip_tokens_BLC is None:
                    raise ValueError("This HyperLoRA needs `clip_tokens_BLC` (CLIP hidden states).")
                return self.resampler(id_tokens_BTC, clip_tokens_BLC)
            return self.resampler(id_tokens_BTC)
        if clip_tokens_BLC is None:
            raise ValueError("This HyperLoRA needs `clip_tokens_BLC` (CLIP hidden states).")
        return self.resampler(clip_tokens_BLC.to(self.resampler.latents.dtype))

    @torch.no_grad()
    def forward(
        self, id_embeds_BE: torch.Tensor | None, clip_tokens_BLC: torch.Tensor | None
    ) -> dict[str, torch.Tensor]:
        tokens_1QH = self.coefficient_tokens(id_embeds_BE, clip_tokens_BLC)
        tokens_per_module = tokens_1QH[0].split(TOKENS_PER_MODULE, dim=0)
        alpha = torch.tensor(self.shape.lora_rank / 2.0)
        lora: dict[str, torch.Tensor] = {}
        for name, module, tokens_8H in zip(
            self.module_names, self.hyper_lora_modules, tokens_per_module, strict=True
        ):
            prefix = kohya_module_prefix(name)
            for layer_name, (down_RI, up_OR) in module(tokens_8H).items():
                key = f"{prefix}_{layer_name}"
                lora[f"{key}.lora_down.weight"] = down_RI
                lora[f"{key}.lora_up.weight"] = up_OR
                lora[f"{key}.alpha"] = alpha.clone()
        return lora


# --- loading -----------------------------------------------------------------------------------


def check_hyperlora_folder(folder: Path) -> None:
    missing = [name for name in HYPERLORA_FILES if not (folder / name).is_file()]
    if missing:
        raise WeightsNotFoundError(
            f"The HyperLoRA folder {folder} lacks {', '.join(missing)}.",
            "download `bytedance-research/HyperLoRA` (folder `sdxl_hyper_id_lora_v1_fidelity`) and pass "
            "that folder with `--option hyperlora=PATH` (spatial.options).",
        )


def infer_shape(
    resampler_sd: dict[str, torch.Tensor],
    modules_sd: dict[str, torch.Tensor],
    projector_sd: dict[str, torch.Tensor] | None,
    num_modules: int,
    dim_head: int = 64,
) -> HyperLoRAShape:
    """Every size of the model from its tensors (the released files carry no config)."""
    num_queries, dim = resampler_sd["latents"].shape[1:]
    assert num_queries == TOKENS_PER_MODULE * num_modules, (num_queries, num_modules)
    depth = len({key.split(".")[1] for key in resampler_sd if key.startswith("layers.")})
    inner_dim = resampler_sd["layers.0.attn1.to_q.weight"].shape[0]
    embedding_dim = resampler_sd["proj_in.weight"].shape[1]
    id_embed_dim = num_id_tokens = None
    if projector_sd is not None:
        id_embed_dim = projector_sd["0.weight"].shape[1]
        num_id_tokens = projector_sd["0.weight"].shape[0] // embedding_dim
    return HyperLoRAShape(
        dim=dim,
        dim_head=dim_head,
        heads=inner_dim // dim_head,
        depth=depth,
        ff_mult=resampler_sd["layers.0.ff.net.0.proj.weight"].shape[0] // dim,
        embedding_dim=embedding_dim,
        hyper_dim=resampler_sd["proj_out.weight"].shape[0],
        lora_rank=modules_sd["0.to_q.id_down_basis"].shape[-1],
        num_modules=num_modules,
        num_conds=2 if "proj_in_2.weight" in resampler_sd else 1,
        id_embed_dim=id_embed_dim,
        num_id_tokens=num_id_tokens,
    )


def load_hyperlora(
    folder: str | Path, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu"
) -> HyperLoRA:
    """Load the released HyperLoRA files from `folder` in eval mode. The released bases hold ~1.5 B
    numbers, so the model is built on the meta device and takes the loaded tensors as they are."""
    from safetensors.torch import load_file

    folder = Path(folder)
    check_hyperlora_folder(folder)
    modules_info = json.loads((folder / "hyper_lora_modules.json").read_text())
    resampler_sd = load_file(folder / "resampler.safetensors", device=str(device))
    modules_sd = load_file(folder / "hyper_lora_modules.safetensors", device=str(device))
    projector_path = folder / ID_PROJECTOR_FILE
    projector_sd = load_file(projector_path, device=str(device)) if projector_path.is_file() else None
    overrides = (
        json.loads((folder / OVERRIDES_FILE).read_text()) if (folder / OVERRIDES_FILE).is_file() else {}
    )
    shape = infer_shape(
        resampler_sd, modules_sd, projector_sd, len(modules_info), dim_head=int(overrides.get("dim_head", 64))
    )
    with torch.device("meta"):
        model = HyperLoRA(shape, modules_info)
    model.resampler.load_state_dict(resampler_sd, assign=True)
    model.hyper_lora_modules.load_state_dict(modules_sd, assign=True)
    if model.id_projector is not None and projector_sd is not None:
        model.id_projector.layers.load_state_dict(projector_sd, assign=True)
    return model.to(dtype).eval()
