"""`openai`: any OpenAI-compatible chat server (vLLM, llama.cpp server, Ollama, SGLang, OpenAI).

Settings come from arguments, else the environment: `IPVG_OPENAI_BASE_URL` (or `OPENAI_BASE_URL`),
`IPVG_OPENAI_MODEL`, `OPENAI_API_KEY`. Requests go through the maintained `openai` client (pinned in
pyproject), with a per-request timeout, a bounded number of retries with backoff for transient
failures (timeouts, connection errors, HTTP 429 and 5xx), and a circuit breaker: after several prompts in a row found the server
unusable, later prompts go straight to the `rules` fallback instead of waiting on it again.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import urlparse

from ipvg.errors import ConfigError
from ipvg.prompts.base import Windows
from ipvg.prompts.chat import ChatDecoupler, ChatUnavailable
from ipvg.prompts.contract import ContractError, Messages

MAX_RESPONSE_BYTES = 1_000_000
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class OpenAIChatBackend(ChatDecoupler):
    """Decoupling through `POST {base_url}/chat/completions`."""

    name = "openai"

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        temperature: float = 0.1,
        top_p: float = 0.9,
        max_tokens: int = 1024,
        json_mode: bool = False,
        disable_thinking: bool = False,
        breaker_threshold: int = 3,
        max_attempts: int = 3,
        framing: str = "close-up",
        windows: Windows | None = None,
    ) -> None:
        super().__init__(max_attempts=max_attempts, framing=framing, windows=windows)
        base_url = base_url or os.environ.get("IPVG_OPENAI_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
        if not base_url:
            raise ConfigError(
                "The `openai` prompt backend needs the server's base URL.",
                "set IPVG_OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1 for vLLM, http://127.0.0.1:11434/v1 for "
                "Ollama) or pass `--option base_url=URL` to `ipvg decouple` (`--set prompts.options.base_url=URL` elsewhere).",
            )
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(
                f"`base_url` must be an http(s) URL, got {base_url!r}.", "use e.g. http://127.0.0.1:8000/v1."
            )
        model = model or os.environ.get("IPVG_OPENAI_MODEL")
        if not model:
            raise ConfigError(
                "The `openai` prompt backend needs a model name.",
                "set IPVG_OPENAI_MODEL (e.g. Qwen/Qwen3-8B) or pass --model NAME.",
            )
        if not 0 < timeout_s <= 600 or not 0 <= max_retries <= 10:
            raise ConfigError(
                f"`timeout_s` must be in (0, 600] and `max_retries` in [0, 10]; got {timeout_s!r}, {max_retries!r}."
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.temperature = temperature
        self.top_p = top_p
        self.max_tokens = max_tokens
        self.json_mode = json_mode
        self.disable_thinking = disable_thinking
        self.breaker_threshold = breaker_threshold
        self._failures_in_a_row = 0
        self._openai: Any = None

    def _settings(self) -> dict[str, object]:
        return {
            "model": self.model,
            "base_url": self.base_url,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "json_mode": self.json_mode,
        }

    def _chat(self, messages: Messages, attempt: int) -> str:
        if self.breaker_threshold and self._failures_in_a_row >= self.breaker_threshold:
            raise ChatUnavailable(
                f"server {self.base_url} failed {self._failures_in_a_row} times in a row; not asked again"
            )
        try:
            body = self._post(self._payload(messages))
        except ChatUnavailable:
            self._failures_in_a_row += 1
            raise
        self._failures_in_a_row = 0
        return _content_of(body)

    def _payload(self, messages: Messages) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages.as_chat(),
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "stream": False,
        }
        if self.json_mode:
            payload["response_format"] = {"type": "json_object"}
        if self.disable_thinking:  # vLLM / SGLang pass this to Qwen3's chat template
            payload["chat_template_kwargs"] = {"enable_thinking": False}
        return payload

    def _client(self) -> Any:
        """The maintained `openai` client for this server; retries are ours (`backoff_s`), so its own are off."""
        if self._openai is None:
            import openai

            self._openai = openai.OpenAI(
                base_url=self.base_url,
                api_key=self.api_key or "not-needed",  # local servers ignore it; the client requires one
                timeout=self.timeout_s,
                max_retries=0,
            )
        return self._openai

    def _post(self, payload: dict[str, Any]) -> bytes:
        import openai

        url = f"{self.base_url}/chat/completions"
        request = dict(payload)
        extra_body = {"chat_template_kwargs": request.pop("chat_template_kwargs")} if "chat_template_kwargs" in request else None
        last_error = ""
        for retry in range(self.max_retries + 1):
            if retry:
                time.sleep(min(self.backoff_s * 2 ** (retry - 1), 10.0))
            try:
                # The raw body: a malformed answer is a contract breach we report, not a client crash.
                raw = self._client().chat.completions.with_raw_response.create(**request, extra_body=extra_body)
                return raw.http_response.content[:MAX_RESPONSE_BYTES]
            except openai.APIStatusError as error:
                detail = " ".join(str(getattr(error.response, "text", "") or "").split())[:200]
                last_error = f"HTTP {error.status_code} from {url}{': ' + detail if detail else ''}"
                if error.status_code not in _RETRY_STATUS:
                    hint = " (check OPENAI_API_KEY)" if error.status_code in (401, 403) else ""
                    raise ChatUnavailable(last_error + hint) from None
            except openai.APITimeoutError:
                last_error = f"no answer from {url} within {self.timeout_s:g} s"
            except openai.APIConnectionError as error:
                last_error = f"cannot reach {url}: {error.__cause__ or error}"
        raise ChatUnavailable(f"{last_error} (after {self.max_retries + 1} tries)")


def _content_of(body: bytes) -> str:
    """choices[0].message.content of a chat completion; a malformed body breaks the contract."""
    try:
        data = json.loads(body.decode("utf-8", errors="replace"))
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ContractError(f"the server's answer is not a chat completion ({len(body)} bytes)") from None
    if not isinstance(content, str):
        raise ContractError("the server's message content is not text")
    return content


