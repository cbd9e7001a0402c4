"""`openai` against a real HTTP server on 127.0.0.1: canned, malformed, slow, failing answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ipvg.config import PromptsConfig
from ipvg.errors import ConfigError
from ipvg.prompts import create_prompt_backend
from ipvg.prompts.openai_server import OpenAIChatBackend

PROMPT = "The chef, in a white apron, chops vegetables in a busy kitchen."
TEMPORAL = {"temporal": "A man, a chef, in a white apron, chops vegetables in a busy kitchen."}
SPATIAL = {"spatial": "A man, a chef, white apron, busy kitchen, close-up"}


def completion(content: str) -> bytes:
    return json.dumps(
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
    ).encode()


class FakeServer:
    """Answers each POST with the next scripted reply: (status, body bytes, delay seconds)."""

    def __init__(self) -> None:
        self.script: list[tuple[int, bytes, float]] = []
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                status, body, delay = (
                    server.script.pop(0) if server.script else (500, b"script exhausted", 0.0)
                )
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def reply(self, content: str | dict, status: int = 200, delay: float = 0.0) -> None:
        body = completion(json.dumps(content) if isinstance(content, dict) else content)
        self.script.append((status, body, delay))

    def raw(self, body: bytes, status: int = 200) -> None:
        self.script.append((status, body, 0.0))


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


def backend_for(server: FakeServer, **kwargs) -> OpenAIChatBackend:
    options = {"timeout_s": 2.0, "max_retries": 1, "backoff_s": 0.01} | kwargs
    return OpenAIChatBackend("qwen3-8b", base_url=server.url, api_key="sk-test", **options)


def test_canned_answers(server: FakeServer) -> None:
    server.reply(TEMPORAL)
    server.reply(f"```json\n{json.dumps(SPATIAL)}\n```")
    record = backend_for(server, disable_thinking=True, json_mode=True).decouple(PROMPT, subject="A man")
    assert record.backend == "openai" and record.warnings == ()
    assert record.temporal == TEMPORAL["temporal"] and record.spatial == SPATIAL["spatial"]
    first = server.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer sk-test"
    assert first["body"]["model"] == "qwen3-8b" and first["body"]["temperature"] == 0.1
    assert first["body"]["chat_template_kwargs"] == {"enable_thinking": False}
    assert first["body"]["response_format"] == {"type": "json_object"}
    assert TEMPORAL["temporal"] in server.requests[1]["body"]["messages"][1]["content"]


def test_malformed_then_valid(server: FakeServer) -> None:
    server.raw(b"<html>not json</html>")
    server.reply("I cannot help with that.")
    server.reply(TEMPORAL)
    server.reply(SPATIAL)
    record = backend_for(server).decouple(PROMPT, subject="A man")
    assert record.backend == "openai"
    assert any("not a chat completion" in w for w in record.warnings)


def test_malformed_forever_falls_back(server: FakeServer) -> None:
    for _ in range(3):
        server.reply('{"temporal": 42}')
    record = backend_for(server).decouple(PROMPT, subject="A man")
    assert record.backend == "rules (fallback from openai)"
    assert record.temporal.startswith("A man, a chef")


def test_slow_server_times_out_and_falls_back(server: FakeServer) -> None:
    server.reply(TEMPORAL, delay=1.5)
    server.reply(TEMPORAL, delay=1.5)
    started = time.monotonic()
    record = backend_for(server, timeout_s=0.3, max_retries=1).decouple(PROMPT, subject="A man")
    assert time.monotonic() - started < 1.5
    assert record.backend == "rules (fallback from openai)"
    assert any("within 0.3 s" in w for w in record.warnings)


def test_transient_errors_are_retried(server: FakeServer) -> None:
    server.reply("overloaded", status=503)
    server.reply(TEMPORAL)
    server.reply("rate limited", status=429)
    server.reply(SPATIAL)
    record = backend_for(server, max_retries=2).decouple(PROMPT, subject="A man")
    assert record.backend == "openai" and len(server.requests) == 4


def test_auth_error_is_not_retried_and_breaker_opens(server: FakeServer) -> None:
    for _ in range(10):
        server.reply("bad key", status=401)
    backend = backend_for(server, max_retries=3, breaker_threshold=2)
    records = [backend.decouple(PROMPT, subject="A man") for _ in range(3)]
    assert all(r.backend == "rules (fallback from openai)" for r in records)
    assert any("HTTP 401" in w and "OPENAI_API_KEY" in w for w in records[0].warnings)
    assert len(server.requests) == 2  # one per prompt until the breaker opened; never retried
    assert any("not asked again" in w for w in records[2].warnings)


def test_unreachable_server_falls_back() -> None:
    backend = OpenAIChatBackend("m", base_url="http://127.0.0.1:9/v1", timeout_s=1.0, max_retries=0)
    record = backend.decouple(PROMPT)
    assert record.backend == "rules (fallback from openai)"
    assert any("cannot reach" in w or "connection" in w for w in record.warnings)


def test_configuration_from_environment(monkeypatch: pytest.MonkeyPatch, server: FakeServer) -> None:
    monkeypatch.delenv("IPVG_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("IPVG_OPENAI_MODEL", raising=False)
    with pytest.raises(ConfigError, match="base URL"):
        create_prompt_backend(PromptsConfig(backend="openai"))
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    with pytest.raises(ConfigError, match="model name"):
        create_prompt_backend(PromptsConfig(backend="openai"))
    monkeypatch.setenv("IPVG_OPENAI_MODEL", "served-model")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    backend = create_prompt_backend(PromptsConfig(backend="openai", options=(("timeout_s", 2.0),)))
    server.reply(TEMPORAL)
    server.reply(SPATIAL)
    assert backend.decouple(PROMPT, subject="A man").backend == "openai"
    assert (
        server.requests[0]["body"]["model"] == "served-model"
        and server.requests[0]["auth"] == "Bearer sk-env"
    )
    with pytest.raises(ConfigError, match="http"):
        OpenAIChatBackend("m", base_url="file:///etc/passwd")


# --- the openai backend's answers go through the same final check and checker as `rules` -----------

WAIST_PROMPT = "Framed from the waist up, a woman in a green coat stands in a garden and smiles."


def test_answers_get_the_prompts_framing_and_lose_fragments(server: FakeServer) -> None:
    """Catches an LLM spatial prompt passed on unchecked: its "close-up" contradicts "from the waist
    up", and its cut phrase "in front of a lush" is a fragment."""
    from ipvg.prompts.check import Annotation, check_record

    server.reply({"temporal": "A woman in a green coat stands in a garden and smiles."})
    server.reply({"spatial": "A woman, green coat, standing in front of a lush, in a garden, close-up"})
    record = backend_for(server).decouple(WAIST_PROMPT, subject="A woman")
    assert record.backend == "openai"
    assert record.spatial.endswith("medium shot") and "close-up" not in record.spatial, record.spatial
    assert "lush" not in record.spatial and "green coat" in record.spatial
    item = Annotation(id="t", prompt=WAIST_PROMPT, spatial_keep=("green coat", "garden"), framing="medium")
    result = check_record(item, record.spatial, record.temporal, record.subject)
    assert result.passed, result.failures


def test_answers_over_77_clip_tokens_are_fitted_by_priority(server: FakeServer) -> None:
    """Catches an unfitted LLM answer (SDXL would cut the end, where the framing term is) and a fit
    that drops the clothing before the extra setting phrases."""
    from ipvg.prompts import clip_token_count

    filler = ", ".join(f"the green garden {i}" for i in range(20))  # words of the prompt: not a hijack
    server.reply({"temporal": "A woman in a green coat stands in a garden and smiles."})
    server.reply({"spatial": f"A woman, wearing a green coat, in a garden, {filler}, close-up"})
    record = backend_for(server).decouple(WAIST_PROMPT, subject="A woman")
    assert clip_token_count(record.spatial) <= 77, record.spatial
    assert record.spatial.startswith("A woman, wearing a green coat, in a garden")
    assert record.spatial.endswith("medium shot")
    assert any("left out" in w for w in record.warnings)


def test_checker_scores_the_openai_backend(server: FakeServer) -> None:
    """The checker is backend-agnostic: it scores what a server answered (one good, one with motion
    rejected twice and then decoupled by the `rules` fallback, which the checker also scores)."""
    from ipvg.prompts.check import Annotation, run_check, summarise

    items = [
        Annotation(id="a", prompt="A man in a red jacket reads a book in a library.", spatial_keep=("red jacket",),
                   spatial_no_motion=("read",), temporal_actions=("read",)),
        Annotation(id="b", prompt="A woman rides a bike along the beach.", spatial_keep=("bike",),
                   spatial_no_motion=("rid",), temporal_actions=("rid",)),
    ]
    server.reply({"temporal": "A man in a red jacket reads a book in a library."})
    server.reply({"spatial": "A man, red jacket, a book, in a library, close-up"})
    server.reply({"temporal": "A woman rides a bike along the beach."})
    for _ in range(2):
        server.reply({"spatial": "A woman, riding a bike along the beach, close-up"})
    backend = backend_for(server, max_attempts=2)
    results = run_check(backend, items)
    summary = summarise(results)
    assert summary["prompts"] == 2 and results[0].passed, results[0].failures
    assert "riding" not in results[1].spatial  # rejected by the contract, decoupled by `rules`
