"""No module under src/ipvg imports a later stage (ARCHITECTURE.md: "No module imports a later stage").

Every `import`/`from ... import` is checked, including lazy ones inside functions (a lazy import still
couples the earlier stage to the later one). Wrong code this catches: `ipvg.prompts.batch` importing
`ipvg.batch.layouts` (fixed in issue 15: the reader lives in `ipvg.io.layout`), `spatial/` importing
`temporal/`, `identity.py` importing `temporal/` or `pipeline.py`, any stage importing `eval/`/`web/`/`cli/`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ipvg

SRC = Path(ipvg.__file__).parent

# The intended order (ARCHITECTURE.md's flow request -> prompts -> first frame -> video -> scores).
# Same rank may import each other; a lower rank may never import a higher one.
STAGE_RANK: dict[str, int] = {
    # shared helpers every stage may use
    **dict.fromkeys(
        ("types", "errors", "inputs", "verbosity", "progress", "svg", "longvideo", "io", "runtime",
         "config", "weights", "faces", "report", "words"),
        0,
    ),
    "prompts": 1,
    "spatial": 2,
    "temporal": 3,
    # identity.py imports spatial/ (not temporal/); pipeline.py knows every stage
    **dict.fromkeys(("identity", "records", "pipeline", "segments"), 4),
    **dict.fromkeys(("eval", "batch", "web", "cli", "animate"), 5),
}
# Wiring, not stages: the name -> backend factory table, the model-weight catalogue, the tiny test
# builders and the package root know every stage by design.
WIRING = {"registry", "models", "testing", "__init__"}

# Known leftovers in files owned elsewhere; each must still exist (a fixed one must be removed here).
# Empty: the gendered word lists moved to `ipvg.words`, the Lightning LoRA table to `ipvg.config`.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


def _top(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else "__init__"


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            raise AssertionError(f"{path}: relative import; the layering check reads absolute ones only")
    return [name for name in names if name == "ipvg" or name.startswith("ipvg.")]


def _violations() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        own = relative.parts[0].removesuffix(".py")
        if own in WIRING:
            continue
        assert own in STAGE_RANK, f"{relative}: new top-level module; give it a rank in STAGE_RANK"
        for name in _imports(path):
            target = _top(name)
            if target in WIRING or target == own:
                continue
            assert target in STAGE_RANK, f"{relative} imports unknown module {name}"
            if STAGE_RANK[target] > STAGE_RANK[own]:
                found.add((relative.as_posix(), name))
    return found


def test_no_module_imports_a_later_stage():
    violations = _violations()
    new = violations - KNOWN_VIOLATIONS
    assert not new, f"earlier stage imports a later one: {sorted(new)}"
    stale = KNOWN_VIOLATIONS - violations
    assert not stale, f"fixed, remove from KNOWN_VIOLATIONS: {sorted(stale)}"


def test_the_check_sees_lazy_imports(tmp_path: Path):
    """A checker that walked only module-level statements would miss `ipvg.prompts.batch`'s old lazy
    `from ipvg.batch.layouts import read_testset`; this proves `_imports` finds one inside a function."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ipvg.batch.layouts import read_testset\n", encoding="utf-8")
    assert _imports(module) == ["ipvg.batch.layouts"]
    assert STAGE_RANK[_top("ipvg.batch.layouts")] > STAGE_RANK["prompts"]
