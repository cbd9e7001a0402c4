"""Which weights a preset (or `ipvg eval`) needs, whether they are here, and how to get them.

`preset_models(config)` lists each model of a config with where it was found; `preflight(config)`
raises one `WeightsNotFoundError` naming every missing model at once, before anything loads;
`download_plan(target)` says what `ipvg models download TARGET` will fetch (and from where), and
`fetch(item)` fetches one item. Nothing here downloads unless `fetch` is called.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ipvg.config import PRESETS, PipelineConfig
from ipvg.errors import ConfigError, IpvgError, UnknownBackendError, WeightsNotFoundError
from ipvg.registry import registry
from ipvg.weights import cache_dir, is_tiny, resolve_model

STAGES = ("prompts", "faces", "spatial", "temporal")
INSIGHTFACE_PACK = "~/.insightface/models/buffalo_l"
INSIGHTFACE_URL = "https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip"
FID_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
EVAL_TARGET = "eval"

# Licences that the user should read before using the weights (downloading them is allowed).
LICENCES = {
    "bytedance-research/HyperLoRA": "CC BY-NC 4.0 (non-commercial use only)",
    INSIGHTFACE_PACK: "insightface model packs: non-commercial research use only",
    "black-forest-labs/FLUX.1-Kontext-dev": "FLUX.1 [dev] non-commercial licence; gated: accept it on the hub "
    "and run `hf auth login` first",
}


# A spatial backend's companion weights, replaced by the backend option of this name when it is given.
COMPANION_OPTIONS = {
    "bytedance-research/HyperLoRA": "hyperlora",
    "h94/IP-Adapter-FaceID": "ip_adapter",
    "openai/clip-vit-large-patch14": "image_encoder",
    "laion/CLIP-ViT-H-14-laion2B-s32B-b79K": "image_encoder",
}


@dataclass(frozen=True)
class ModelRequirement:
    """One model a stage needs: where it was found, or how to get it."""

    stage: str
    backend: str
    model: str
    present: bool
    where: str
    fix: str = ""


@dataclass(frozen=True)
class Download:
    """One item `ipvg models download` fetches: a hub repo (or some of its files) or a URL."""

    model: str  # the name `preset_models` shows
    kind: str  # "hub" | "hub-file" | "url" | "url-zip"
    source: str  # hub repo id or URL
    filename: str = ""  # hub-file: the file inside the repo
    dest: str = ""  # url / hub-file copies: the local path ipvg looks at
    licence: str = ""

    def describe(self) -> str:
        origin = f"{self.source}/{self.filename}" if self.filename else self.source
        where = f" -> {self.dest}" if self.dest else " -> the Hugging Face cache"
        note = f"  [licence: {self.licence}]" if self.licence else ""
        return f"{self.model}: {origin}{where}{note}"


def _eval_downloads() -> list[Download]:
    from ipvg.eval import FID_WEIGHTS_FILE
    from ipvg.faces.curricularface_backend import HUB_FILE, HUB_REPO

    weights = cache_dir() / "weights"
    return [
        Download(INSIGHTFACE_PACK, "url-zip", INSIGHTFACE_URL, dest=str(Path(INSIGHTFACE_PACK).expanduser())),
        Download(HUB_REPO, "hub-file", HUB_REPO, filename=HUB_FILE),
        Download("inception (FID)", "url", FID_URL, dest=str(weights / FID_WEIGHTS_FILE)),
        Download("openai/clip-vit-base-patch16", "hub", "openai/clip-vit-base-patch16"),
        Download("Alibaba-NLP/gme-Qwen2-VL-2B-Instruct", "hub", "Alibaba-NLP/gme-Qwen2-VL-2B-Instruct"),
        Download("amt-s.pth", "hub-file", "lalala125/AMT", filename="amt-s.pth", dest=str(weights / "amt-s.pth")),
        Download(
            "musiq_spaq_ckpt-358bb6af.pth",
            "hub-file",
            "chaofengc/IQA-PyTorch-Weights",
            filename="musiq_spaq_ckpt-358bb6af.pth",
            dest=str(weights / "musiq_spaq_ckpt-358bb6af.pth"),
        ),
    ]


# Weights a backend loads through another backend (metrics scoring with insightface faces, ...),
# which its own BackendSpec does not list.
INDIRECT_WEIGHTS = {
    ("metrics", "facesim-arc"): (INSIGHTFACE_PACK,),
    ("metrics", "facesim-cur"): (INSIGHTFACE_PACK, "BestWishYsh/ConsisID-preview"),
    ("metrics", "fid"): (INSIGHTFACE_PACK,),  # its default face backend finds and aligns the faces
}


def missing_weights(kind: str, name: str, weights: tuple[str, ...]) -> list[str]:
    """One line for each weight of a backend that is not here (for `ipvg backends`)."""
    missing = []
    for model in (*weights, *INDIRECT_WEIGHTS.get((kind, name), ())):
        if not is_tiny(model) and _present(kind, name, model, None) is None:
            missing.append(f"weights `{model}` not downloaded (`ipvg models download {_download_target(model)}`)")
    return missing


def _download_target(model: str) -> str:
    if model == "BestWishYsh/ConsisID-preview":
        return EVAL_TARGET  # only its CurricularFace file, not the whole 20 GB repository
    if model.count("/") == 1 and not model.startswith(("/", ".", "~")):
        return model
    return EVAL_TARGET


def _present(stage: str, backend: str, model: str, config: PipelineConfig | None) -> str | None:
    """Where `model` is found locally, or None."""
    if model == "BestWishYsh/ConsisID-preview":
        from ipvg.faces.curricularface_backend import HUB_FILE, HUB_REPO

        return _hub_file(HUB_REPO, HUB_FILE)
    if model == INSIGHTFACE_PACK or (stage == "faces" and backend == "insightface"):
        from ipvg.faces.insightface_backend import find_model_pack

        try:
            root = config.faces.model_root if config is not None else None
            return str(find_model_pack(None, root))
        except IpvgError:
            return None
    try:
        return resolve_model(model, marker="")
    except IpvgError:
        return None


def _alternative(stage: str, first_weight: bool) -> str:
    """An option every run command has that avoids one missing model (besides downloading it)."""
    if stage == "prompts":
        return "or decouple offline: --set prompts.backend=rules"
    if stage == "faces":
        return "or use the offline face backend: --set faces.backend=dlib"
    if stage in ("spatial", "temporal") and first_weight:
        return f"or a local copy: --set {stage}.model=PATH"
    return ""


def _stage_is_off(config: PipelineConfig, section: str) -> bool:
    """A pipeline without a first-frame stage (`spatial.backend=none`, `ipvg.pipeline.NO_SPATIAL_STAGE`)
    has no backend and no weights for it."""
    return section == "spatial" and config.spatial.backend == "none"


def preset_models(config: PipelineConfig, stages: tuple[str, ...] = STAGES) -> list[ModelRequirement]:
    """Each (stage, backend, model) the config uses in `stages`, and whether it is available locally."""
    rows = []
    for section in stages:
        stage_config = getattr(config, section)
        if _stage_is_off(config, section):
            continue
        try:
            spec = registry.get(section, stage_config.backend)
        except UnknownBackendError as error:
            rows.append(
                ModelRequirement(section, stage_config.backend, "-", False, "backend not installed", error.fix or "")
            )
            continue
        override = getattr(stage_config, "model", None)
        # `model` replaces the base model (the first weight); adapters (HyperLoRA, CLIP) are still needed,
        # except on tiny models, whose builder makes the whole backend.
        if override and is_tiny(override):
            models: tuple[str, ...] = (override,)
        elif override:
            models = (override, *spec.weights[1:])
        else:
            models = spec.weights
        options = _options_dict(getattr(stage_config, "options", None))
        models = tuple(
            str(options.get(COMPANION_OPTIONS.get(model, ""), model)) if index else model
            for index, model in enumerate(models)
        )
        if section == "faces" and config.faces.model_root:
            models = (config.faces.model_root,)
        for index, model in enumerate(models):
            if is_tiny(model):
                rows.append(ModelRequirement(section, spec.name, model, True, "built locally on first use"))
                continue
            where = _present(section, spec.name, model, config)
            if where is not None and index == 0 and section in ("spatial", "temporal"):
                where = _complete_copy(Path(where))
            if where is not None:
                rows.append(ModelRequirement(section, spec.name, model, True, where))
            else:
                fix = _alternative(section, index == 0)
                rows.append(ModelRequirement(section, spec.name, model, False, "not downloaded", fix))
    for item in _lora_downloads(config) if "temporal" in stages else []:  # the LoRAs load onto the video model
        where = _hub_file(item.source, item.filename) if item.filename else _present("runtime", "", item.source, None)
        fix = "" if where else f"run `ipvg models download {config.name if config.name in PRESETS else item.source}`"
        rows.append(ModelRequirement("runtime", "lora", item.model, where is not None, where or "not downloaded", fix))
    return rows


def _lora_downloads(config: PipelineConfig) -> list[Download]:
    """Hub LoRAs in `runtime.loras` (e.g. the `fast` preset's Lightning LoRAs), file by file when the
    LoRA names its file, so that a repository of many LoRAs is not fetched whole."""
    items = []
    for lora in config.runtime.loras:
        if Path(lora.path).expanduser().exists() or lora.path.count("/") != 1 or lora.path.startswith((".", "~")):
            continue  # a local file or folder: nothing to download
        if lora.weight_name:
            items.append(Download(f"{lora.path}/{lora.weight_name}", "hub-file", lora.path, filename=lora.weight_name))
        else:
            items.append(Download(lora.path, "hub", lora.path))
    return items


def _options_dict(options: object) -> dict[str, object]:
    """Backend options as a dict, whether the config holds KEY=VALUE pairs, a dict or a dataclass."""
    if options is None:
        return {}
    if dataclasses.is_dataclass(options) and not isinstance(options, type):
        return dataclasses.asdict(options)
    if isinstance(options, dict):
        return dict(options)
    try:
        return {str(key): value for key, value in options}  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return {}


def _complete_copy(path: Path) -> str | None:
    """A base model folder must hold the diffusers layout (`model_index.json`); a single checkpoint
    file (SDXL .safetensors) is complete as it is. Checked here so a half copy fails before loading."""
    if path.is_dir() and not (path / "model_index.json").is_file():
        return None
    return str(path)


def eval_models() -> list[ModelRequirement]:
    """The weights `ipvg eval`'s model-backed metrics load by default, and whether each is here."""
    rows = []
    for item in _eval_downloads():
        if item.dest:
            present = Path(item.dest).exists()
            where = item.dest if present else "not downloaded"
        elif item.kind == "hub-file":
            where = _hub_file(item.source, item.filename) or "not downloaded"
            present = where != "not downloaded"
        else:
            found = _present("eval", "", item.source, None)
            present, where = found is not None, found or "not downloaded"
        fix = "" if present else f"run `ipvg models download {EVAL_TARGET}`"
        rows.append(ModelRequirement("eval", "-", item.model, present, where, fix))
    return rows


def _hub_file(repo: str, filename: str) -> str | None:
    from huggingface_hub import hf_hub_download

    try:
        return hf_hub_download(repo, filename, local_files_only=True)
    except Exception:  # not cached, or offline: both mean "not here"
        return None


# Temporal backends built on diffusers' Wan pipelines (one transformer call per guidance branch).
_WAN_MODULES = ("ipvg.temporal.wan:", "ipvg.temporal.vace:")


def _check_cache_fits_temporal_backend(config: PipelineConfig, stages: tuple[str, ...]) -> None:
    """FasterCache crashes inside diffusers on Wan (see ipvg.runtime.options.FASTER_CACHE_ON_WAN); say
    so here, before any model loads. The message is repeated, not imported: ipvg.runtime imports torch."""
    if config.runtime.cache != "faster" or "temporal" not in stages:
        return
    if registry.get("temporal", config.temporal.backend).target.startswith(_WAN_MODULES):
        raise ConfigError(
            f"runtime.cache=faster does not work with the Wan backend `{config.temporal.backend}`: FasterCache "
            "expects the conditional and unconditional passes in one batch, which Wan runs separately "
            "(runtime.batched_cfg does not help).",
            "use runtime.cache=first-block, taylorseer or pab (or mag after a mag-calibrate run).",
        )


def preflight(config: PipelineConfig, stages: tuple[str, ...] = STAGES) -> None:
    """Raise one `WeightsNotFoundError` listing EVERY missing model of `config`'s `stages` (nothing loads).

    Skipped when downloads are allowed (`runtime.allow_download`): then missing weights are fetched."""
    for section in stages:  # an unknown backend is a mistake of its own, said as such
        if not _stage_is_off(config, section):
            registry.get(section, getattr(config, section).backend)
    _check_cache_fits_temporal_backend(config, stages)
    missing = [row for row in preset_models(config, stages) if not row.present]
    if config.runtime.allow_download:
        # Hub models will be fetched; local paths and insightface packs cannot be.
        missing = [row for row in missing if _download_target(row.model) != row.model]
    if not missing:
        return
    listed = "; ".join(
        f"{row.stage} ({row.backend}): `{row.model}`" + _why_missing(row.model) + (f" ({row.fix})" if row.fix else "")
        for row in missing
    )
    if config.name in PRESETS and config.name != "tiny":
        get = f"run `ipvg models download {config.name}` (fetches them all)"
        alternative = "; or try the offline random-weight models with --preset tiny (their output is noise by design)."
    else:
        hub_ids = [row.model for row in missing if _download_target(row.model) == row.model]
        get = "; ".join(f"run `ipvg models download {model}`" for model in hub_ids) or "pass a complete local copy"
        alternative = "."
    raise WeightsNotFoundError(
        f"{len(missing)} model(s) of the {config.name!r} configuration are not here, so nothing was loaded: "
        f"{listed}.",
        get + alternative,
    )


def _why_missing(model: str) -> str:
    path = Path(model).expanduser()
    if path.is_dir():
        return " is a folder without model_index.json, not a complete diffusers copy"
    if model.startswith(("/", ".", "~")):
        return " does not exist"
    return ""


def download_plan(target: str) -> list[Download]:
    """What `ipvg models download TARGET` fetches: a preset's missing models, `eval`'s, or one hub id."""
    if target == EVAL_TARGET:
        present = {row.model for row in eval_models() if row.present}
        return [_with_licence(item) for item in _eval_downloads() if item.model not in present]
    if target in PRESETS:
        plan = []
        loras = {item.model: item for item in _lora_downloads(PRESETS[target])}
        for row in preset_models(PRESETS[target]):
            if row.present or row.model == "-":
                continue
            if row.model in loras:
                plan.append(loras[row.model])
            elif row.model == INSIGHTFACE_PACK:
                plan.append(next(item for item in _eval_downloads() if item.model == INSIGHTFACE_PACK))
            else:
                plan.append(Download(row.model, "hub", row.model))
        return [_with_licence(item) for item in plan]
    if target.count("/") == 1 and not target.startswith(("/", ".", "~")):
        return [Download(target, "hub", target, licence=LICENCES.get(target, ""))]
    raise ConfigError(
        f"`ipvg models download {target}`: not a preset, `{EVAL_TARGET}`, or a hub id (owner/name).",
        f"pass one of: {', '.join(PRESETS)}, {EVAL_TARGET}, or a hub id such as Wan-AI/Wan2.2-TI2V-5B-Diffusers.",
    )


def _with_licence(item: Download) -> Download:
    return dataclasses.replace(item, licence=LICENCES.get(item.model, item.licence))


def fetch(item: Download) -> str:
    """Download one item (needs internet); return where it now lies."""
    if os.environ.get("HF_HUB_OFFLINE"):
        raise IpvgError(
            f"Cannot download `{item.model}`: HF_HUB_OFFLINE is set.",
            "unset HF_HUB_OFFLINE on a machine with internet access, then rerun `ipvg models download`.",
        )
    try:
        if item.kind == "hub":
            from huggingface_hub import snapshot_download

            return snapshot_download(item.source)
        if item.kind == "hub-file":
            from huggingface_hub import hf_hub_download

            path = hf_hub_download(item.source, item.filename)
            if item.dest:
                _copy_into_place(Path(path), Path(item.dest))
                return item.dest
            return path
        _download_url(item.source, Path(item.dest), unzip=item.kind == "url-zip")
        return item.dest
    except IpvgError:
        raise
    except Exception as error:  # network errors come in many types; all mean the same to the user
        raise IpvgError(
            f"Downloading `{item.model}` from {item.source} failed: {error}",
            "check your internet connection (and `hf auth login` for gated models), then rerun.",
        ) from None


def _copy_into_place(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.part")
    shutil.copyfile(source, temp)
    os.replace(temp, dest)


def _download_url(url: str, dest: Path, *, unzip: bool) -> None:
    """Fetch `url` to `dest` (a file; or, with `unzip`, a folder of the zip's files), atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as temp:
        file = Path(temp) / "download"
        with urllib.request.urlopen(url, timeout=60) as response, open(file, "wb") as handle:
            shutil.copyfileobj(response, handle)
        if not unzip:
            os.replace(file, dest)
            return
        unpacked = Path(temp) / "unpacked"
        with zipfile.ZipFile(file) as archive:
            for member in archive.namelist():  # no absolute paths or `..` out of the folder
                if member.startswith("/") or ".." in Path(member).parts:
                    raise IpvgError(f"The archive {url} holds an unsafe path {member!r}.")
            archive.extractall(unpacked)
        inner = [p for p in unpacked.iterdir() if p.is_dir()]
        source = inner[0] if len(inner) == 1 and not any(unpacked.glob("*.onnx")) else unpacked
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(source, dest)
