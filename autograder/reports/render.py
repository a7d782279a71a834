"""The Jinja2 environment of the HTML pages: every template autoescaped, every value made
printable, and the pages' own CSS and script with the Content-Security-Policy hashes that allow
exactly them.

Escaping is Jinja's job alone: ``autoescape=True`` holds for every template whatever its file
name, so a value put in a page without thinking is escaped all the same; no template applies
the ``safe`` filter and no Python code marks text as markup, except the two static files here
(``style.css``, ``sort.js``), which the pages carry inline. Before escaping, every value goes
through ``printable``: invalid Unicode (lone surrogates) becomes U+FFFD and control characters
(escape sequences, bidirectional overrides, zero-width characters) are shown as ``\\x1b`` or
``\\u202e``, so a student's id cannot hide or reorder what is around it.

The pages load nothing: CSS and script are inline, plots are ``data:`` images, and the policy
(``csp``) forbids everything else, including any script but the one whose hash it names.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from markupsafe import Markup

from ..results import points_text
from ..safety import terminal

TEMPLATES = Path(__file__).parent / "templates"


_UNPRINTABLE = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f"
                          "\u2028-\u202e\u2066-\u2069]")


def printable(value):
    """Jinja's ``finalize``: strings made printable (see the module docstring); markup (the
    static files), numbers and None left as they are."""
    if type(value) is str:
        return terminal(value) if _UNPRINTABLE.search(value) else value
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return terminal(value)
    return value


@dataclass(frozen=True)
class Asset:
    """A static file carried inline, and the CSP source that allows exactly its text."""

    text: object  # markupsafe.Markup
    source: str  # 'sha256-...'


@functools.lru_cache(maxsize=4)
def asset(name: str) -> Asset:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Asset(Markup(text), f"'sha256-{digest}'")


def csp(*, script: bool) -> str:
    """The pages' Content-Security-Policy: only their own style, images as ``data:``, and,
    when ``script``, only the sort script."""
    scripts = asset("sort.js").source if script else "'none'"
    return (f"default-src 'none'; img-src data:; style-src {asset('style.css').source}; "
            f"script-src {scripts}; base-uri 'none'; form-action 'none'")


def percent_text(value, digits=0) -> str:
    """``84 %``; ``–`` when there is no percent (a maximum of 0)."""
    return "–" if value is None else f"{value:.{digits}f} %"


def rate_text(value) -> str:
    return percent_text(None if value is None else 100 * value)


def bar_class(rate) -> str:
    """CSS classes of a pass-rate bar (widths in steps of 5 %, no style attribute)."""
    if rate is None:
        return "bar w0"
    step = int(round(max(0.0, min(1.0, rate)) * 20)) * 5
    level = "" if rate >= 0.8 else " mid" if rate >= 0.5 else " low"
    return f"bar w{step}{level}"


def time_text(value) -> str:
    """An ISO 8601 time as '2026-03-01 23:59 UTC' (the text as it is when it is not one)."""
    if not value:
        return ""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def duration_text(delta) -> str:
    """A timedelta for people: '2 days 3 h', '5 h 10 min', '12 min'."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' * (days != 1)}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{max(minutes, 1)} min"


@functools.lru_cache(maxsize=1)
def environment():
    import jinja2

    from .. import __version__

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
        undefined=jinja2.StrictUndefined, finalize=printable, trim_blocks=True,
        lstrip_blocks=True, auto_reload=False)
    env.filters.update(points=points_text, percent=percent_text, rate=rate_text,
                       bar=bar_class, when=time_text, duration=duration_text)
    env.globals.update(version=__version__, asset=asset, csp=csp)
    return env


def render(template: str, **context) -> str:
    """A page from ``templates/<template>``."""
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return environment().get_template(template).render(generated=generated, **context)
