"""The moderation hook chain: ordered, pluggable, configured in ``data/moderation.json``.

A hook is a callable ``(PostContent) -> Verdict``. Hooks are built by factories
listed by name in an explicit table passed to :func:`build_chain`, so the chain is
configuration: a name and its settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from chalicelib.domain.data_files import data_file

APPROVE, REJECT, REVIEW = "approve", "reject", "review"


@dataclass(frozen=True)
class PostContent:
    """What hooks look at: the post's text, media and author, nothing from storage."""

    post_id: str
    account_id: str
    type: str
    format: str
    title: str = ""
    text: str = ""
    extra_text: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    video_duration_s: float | None = None
    has_cover: bool = False
    products: tuple[str, ...] = ()

    @property
    def all_text(self) -> str:
        return "\n".join(part for part in (self.title, self.text, *self.extra_text) if part)

    @classmethod
    def from_post(cls, post_id: str, account_id: str, content: dict[str, Any]) -> PostContent:
        extra = [*content.get("topics", []), *content.get("product_titles", [])]  # titles: auto 上新
        if "poll" in content:
            extra += [content["poll"]["question"], *content["poll"]["options"]]
        urls = [*content.get("images", [])]
        for key in ("cover",):
            if key in content:
                urls.append(content[key])
        if "video" in content:
            urls.append(content["video"]["url"])
        if "live" in content:
            urls.append(content["live"]["stream_url"])
        return cls(post_id=post_id, account_id=account_id, type=content["type"], format=content["format"],
                   title=content.get("title", ""), text=content.get("text", ""), extra_text=tuple(extra),
                   images=tuple(content.get("images", [])), urls=tuple(urls),
                   video_duration_s=content.get("video", {}).get("duration_s"), has_cover="cover" in content,
                   products=tuple(content.get("products", [])))


@dataclass(frozen=True)
class Verdict:
    """One hook's answer: approve, reject or review, with a machine reason and a message for the author."""

    hook: str
    outcome: str
    reason: str | None = None
    message: str | None = None

    @classmethod
    def approve(cls, hook: str) -> Verdict:
        return cls(hook, APPROVE)


@dataclass(frozen=True)
class ChainResult:
    outcome: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def deciding(self) -> Verdict | None:
        """The verdict that decided a reject or review (the first of that outcome); None when approved."""
        return next((v for v in self.verdicts if v.outcome == self.outcome and v.outcome != APPROVE), None)

    @property
    def reason(self) -> str | None:
        deciding = self.deciding
        return f"{deciding.reason}: {deciding.message}" if deciding else None

    def as_records(self) -> list[dict[str, Any]]:
        return [asdict(v) for v in self.verdicts]


Hook = Callable[[PostContent], Verdict]
HookFactory = Callable[[dict[str, Any]], Hook]


def build_chain(config: dict[str, Any], services: dict[str, Any] | None = None, *,
                hooks: Mapping[str, HookFactory]) -> list[Hook]:
    """Hooks in configured order, each made by its factory in ``hooks`` (name → factory: the shipped
    table is :data:`chalicelib.domain.moderation.hooks.SHIPPED_HOOKS`); ``services`` reach hooks that
    need outside data (as settings)."""
    chain = []
    for entry in config["chain"]:
        if entry["hook"] not in hooks:
            raise ValueError(f"unknown moderation hook {entry['hook']!r}")
        chain.append(hooks[entry["hook"]]({**entry.get("settings", {}), **(services or {})}))
    return chain


def required_service(settings: dict[str, Any], name: str, hook: str) -> Any:
    """A service ``hook`` needs from ``build_chain(config, services)``; a clear error when it is missing."""
    if name not in settings:
        raise ValueError(f"moderation hook {hook!r} needs the {name!r} service: pass it in build_chain(config, "
                         "services)")
    return settings[name]


def load_chain_config(name: str = "moderation.json") -> dict[str, Any]:
    return data_file(name)


@lru_cache(maxsize=1)
def moderation_config() -> dict[str, Any]:
    """``data/moderation.json`` (the chain, fingerprints, strikes), read once per process."""
    return load_chain_config()


def run_chain(chain: Sequence[Hook], content: PostContent) -> ChainResult:
    """Run hooks in order: the first reject decides; otherwise any review holds; else approve."""
    verdicts: list[Verdict] = []
    for hook in chain:
        verdict = hook(content)
        verdicts.append(verdict)
        if verdict.outcome == REJECT:
            return ChainResult(REJECT, verdicts)
    outcome = REVIEW if any(v.outcome == REVIEW for v in verdicts) else APPROVE
    return ChainResult(outcome, verdicts)
