"""The Jinja2 environment of the letters: the packaged templates, the user's overrides (run in a
sandbox with limits on size, loops and time), the filters the templates use, and rendering with
errors that name the template, its line and the missing field."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from foia.errors import FoiaError
from foia.letters.context import Section
from foia.letters.kinds import LetterKind, hint, letter_kind
from foia.letters.wording import capfirst, join_and, long_date, money, sentence
from foia.naming import Text
from foia.render import ESC, XML_UNSAFE

@lru_cache(maxsize=1)  # the package does not move while foia runs
def packaged_templates_dir() -> Path:
    """templates/ inside the installed package (foia/_data/templates), else at the repository root."""
    here = Path(__file__).resolve().parent.parent  # foia/
    for candidate in (here / "_data" / "templates", here.parent / "templates"):
        if (candidate / "records.j2").is_file():
            return candidate
    raise FoiaError("letter templates not found next to the foia package; reinstall foia")


def user_templates_dir() -> Path:
    """Your template overrides: ``FOIA_TEMPLATES``, else ``<config dir>/templates``."""
    env = os.environ.get("FOIA_TEMPLATES")
    if env:
        return Path(env).expanduser()
    from foia.paths import config_dir

    return config_dir() / "templates"


def _user_overrides(user: Path) -> tuple[str, ...]:
    try:
        return tuple(sorted(p.relative_to(user).as_posix() for p in user.rglob("*.j2") if p.is_file()))
    except OSError:
        return ()


class _LetterUndefined(jinja2.StrictUndefined):
    """StrictUndefined whose error names the field and the option or profile key for it."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> Text:
        name = self._undefined_name
        obj = self._undefined_obj
        prefix = getattr(obj, "prefix", None) if obj is not jinja2.utils.missing else None
        key = f"{prefix}.{name}" if prefix else str(name)
        how = hint(key)
        if how:
            return Text(f"field {key!r} is missing: ", how)
        return Text(f"field {key!r} is not known to letters; see `foia letters kinds` for the fields")


# What _finalize must rewrite in a printed text: most values hold none of it.
_REWRITTEN = re.compile(f"[{ESC}\r\n]|{XML_UNSAFE.pattern}")


def _finalize(value: Any) -> str:
    """Every printed value: dates in long form, and ESC before each line so a value is always
    plain text to the markup parser."""
    if value is None:
        return ""
    if type(value) is str and not _REWRITTEN.search(value):
        return ESC + value
    if isinstance(value, date):
        value = long_date(value)
    # Control characters mean nothing in a letter, and XML (DOCX) cannot hold them.
    text = XML_UNSAFE.sub("", str(value).replace(ESC, "").replace("\r\n", "\n").replace("\r", "\n"))
    return ESC + text.replace("\n", "\n" + ESC)


def _given(value: Any) -> bool:
    """``x is given``: defined, and neither None, False nor empty."""
    if isinstance(value, jinja2.Undefined):
        return False
    return bool(value)


def _configure(env: jinja2.Environment) -> jinja2.Environment:
    env.filters.update(longdate=long_date, money=money, join_and=join_and, capfirst=capfirst, sentence=sentence)
    env.tests["given"] = _given
    return env


# Limits on user templates (a clinic's shared template folder must not freeze every
# colleague's `draft`): the largest text, list or width a template may build in one step
# ('x' * N, center(N), indent(N), a str method given N), the most items range() may give in
# one render, the largest power, and the longest render. A packaged template is far below all.
TEMPLATE_MAX_SIZE = 1_000_000
TEMPLATE_MAX_RANGE_ITEMS = 1_000_000
TEMPLATE_MAX_EXPONENT = 64
TEMPLATE_MAX_SECONDS = 10


class _TemplateLimit(Exception):
    """A user template went past one of the limits above; the message says which."""


def _size_ok(n: int, what: str) -> None:
    if n > TEMPLATE_MAX_SIZE:
        raise _TemplateLimit(f"{what} of {n:,} characters or items is past the limit of {TEMPLATE_MAX_SIZE:,}")


_WIDE = re.compile(r"[0-9]{7,}")
# str methods that build a text as wide as a number they are given.
_WIDENING = {"center", "ljust", "rjust", "zfill", "expandtabs"}


def _format_ok(text: Any) -> None:
    """A format string ("%10000000000s", "{:10000000000}") asks for no width past the limit."""
    if isinstance(text, str):
        for digits in _WIDE.findall(text):
            _size_ok(int(digits[:12]), "a formatted width")


class _LimitedSandbox(SandboxedEnvironment):
    """The sandbox with the resource limits above (the sandbox alone bounds only range())."""

    intercepted_binops = frozenset(["*", "**", "%", "+"])

    def wrap_str_format(self, value):
        # "{:>10000000000}".format(x): the format string is checked when the method is taken.
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _format_ok(value.__self__)
        return wrapped

    def call_binop(self, context, operator, left, right):
        if operator == "%":
            _format_ok(left)
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, type(left)):
            _size_ok(len(left) + len(right), "a joined text or list")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    _size_ok(len(seq) * max(n, 0), "a repetition")
        elif operator == "**" and isinstance(right, (int, float)) and right > TEMPLATE_MAX_EXPONENT:
            raise _TemplateLimit(f"a power of {right} is past the limit of {TEMPLATE_MAX_EXPONENT}")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        name = getattr(__obj, "__name__", "")
        if isinstance(getattr(__obj, "__self__", None), str):
            if name in _WIDENING:
                for value in (*args, *kwargs.values()):
                    if isinstance(value, int) and not isinstance(value, bool):
                        _size_ok(abs(value), f"a width given to {name}")
        return super().call(__context, __obj, *args, **kwargs)


def _limited_filter(name: str, original):
    """A filter whose width arguments are checked first (center(3000000000), indent(10**10))."""

    def checked(*args, **kwargs):
        if name == "format":
            _format_ok(args[0] if args else None)
            return original(*args, **kwargs)
        for value in (*args[1:], *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool):
                _size_ok(abs(value), f"a width given to {name}")
        return original(*args, **kwargs)

    checked.__name__ = name
    for attr in ("jinja_pass_arg",):
        if hasattr(original, attr):
            setattr(checked, attr, getattr(original, attr))
    return checked


_RANGE_BUDGET = __import__("threading").local()


def _counted_range(*args):
    """range() for user templates: at most TEMPLATE_MAX_RANGE_ITEMS items in one render, all
    loops together (nested range(100000) loops would otherwise run for hours)."""
    from jinja2.sandbox import safe_range

    for item in safe_range(*args):
        _RANGE_BUDGET.left = getattr(_RANGE_BUDGET, "left", TEMPLATE_MAX_RANGE_ITEMS) - 1
        if _RANGE_BUDGET.left < 0:
            raise _TemplateLimit(f"its loops went past {TEMPLATE_MAX_RANGE_ITEMS:,} range() items")
        yield item


@contextmanager
def _render_deadline(seconds: float):
    """Raise _TemplateLimit in the render after ``seconds`` (SIGALRM: only in the main thread,
    where the CLI renders; elsewhere the size and range limits still hold)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum, frame):
        raise _TemplateLimit(f"rendering took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# What a dict (or Section) answers as an attribute; any other name is one of its keys.
_DICT_ATTRIBUTES = frozenset(dir(dict)) | {"prefix"}


class _PackagedEnvironment(jinja2.Environment):
    """The environment of the packaged templates, which do not change while foia runs.

    A letter renders nine templates (its own and the partials it includes), so what Jinja does
    for each is kept once: the loaded template by name (no cache lock or loader key per
    include), and the globals as one dict (Jinja's ChainMap, which lets later changes to the
    environment's globals show, is copied into a set for every include; these never change).
    ``requester.name`` on a dict tries the attribute first and fails with an exception before
    it reads the key (Jinja's rule); the names a dict cannot have as attributes go to the key
    at once, with the same result."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._loaded: dict[str, jinja2.Template] = {}

    def get_template(self, name, parent=None, globals=None):
        if globals is None and type(name) is str:
            template = self._loaded.get(name)
            if template is None:
                template = self._loaded[name] = super().get_template(name, parent)
            return template
        return super().get_template(name, parent, globals)

    def make_globals(self, d):
        return {**self.globals, **(d or {})}

    def getattr(self, obj, attribute):
        if type(obj) in (Section, dict) and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@lru_cache(maxsize=8)
def _environment(packaged: str, user: str | None) -> jinja2.Environment:
    from foia.render.templates import TemplateCache

    options = dict(undefined=_LetterUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True, finalize=_finalize, bytecode_cache=TemplateCache())
    if user is None:
        # The packaged templates do not change while foia runs: no stat of each template on
        # every render to see whether it did (auto_reload). User overrides keep the check.
        return _configure(_PackagedEnvironment(loader=jinja2.FileSystemLoader(packaged), auto_reload=False,
                                               **options))
    # User templates are data from outside the package: they run sandboxed (no access to
    # Python internals), and a user template of the same name wins over the packaged one.
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(user), jinja2.FileSystemLoader(packaged)])
    env = _configure(_LimitedSandbox(loader=loader, **options))
    for name in ("center", "indent", "wordwrap", "format", "slice"):
        env.filters[name] = _limited_filter(name, env.filters[name])
    env.globals["range"] = _counted_range
    return env


@lru_cache(maxsize=8)
def _user_dir_for(*settings: str | None) -> Path:
    return user_templates_dir()


def _user_dir() -> Path:
    # Found again only when a variable that names it changes (the platform's folder, from HOME
    # and XDG_CONFIG_HOME, only when neither FOIA_ variable is set): a letter reads one or two.
    env = os.environ.get
    templates = env("FOIA_TEMPLATES")
    if templates:
        return _user_dir_for(templates, env("HOME") if templates.startswith("~") else None)
    config = env("FOIA_CONFIG_DIR")
    if config:
        return _user_dir_for(None, config)
    return _user_dir_for(None, None, env("HOME"), env("XDG_CONFIG_HOME"))


def _env_for_now() -> tuple[jinja2.Environment, Path | None]:
    # Whether the folder holds overrides is looked at for every letter: a user may add one
    # while the web app runs.
    user = _user_dir()
    overrides = _user_overrides(user) if os.path.isdir(user) else ()
    packaged = packaged_templates_dir()
    if overrides:
        return _environment(str(packaged), str(user)), user
    return _environment(str(packaged), None), None


def template_source(kind: str) -> tuple[str, Path]:
    """The source of the template a kind renders with (your override if any) and its path."""
    k = letter_kind(kind)
    user = user_templates_dir()
    for base in (user, packaged_templates_dir()):
        path = base / k.template
        if path.is_file():
            return path.read_text(encoding="utf-8"), path
    raise FoiaError(f"template {k.template} not found; reinstall foia")  # pragma: no cover


def _template_frame(exc: BaseException) -> str | None:
    import traceback

    names = [f"{Path(fr.filename).name}:{fr.lineno}" for fr in traceback.extract_tb(exc.__traceback__)
             if fr.filename.endswith(".j2")]
    return names[-1] if names else None


def render(kind: LetterKind, ctx: dict) -> str:
    """The markup ``kind``'s template (your override if any) gives for ``ctx``."""
    from jinja2.sandbox import SecurityError

    env, user = _env_for_now()
    where = "your template" if user else "template"
    try:
        template = env.get_template(kind.template)
        if user is None:
            return template.render(ctx)
        _RANGE_BUDGET.left = TEMPLATE_MAX_RANGE_ITEMS
        size, parts = 0, []
        with _render_deadline(TEMPLATE_MAX_SECONDS):
            for part in template.generate(ctx):
                size += len(part)
                _size_ok(size, "a letter")
                parts.append(part)
        return "".join(parts)
    except _TemplateLimit as exc:
        frame = _template_frame(exc) or kind.template
        raise FoiaError(f"{where} {frame} was stopped: {exc}; make the template simpler (or remove it to use the "
                        "packaged one)") from None
    except jinja2.TemplateSyntaxError as exc:
        name = exc.name or kind.template
        raise FoiaError(f"{where} {name} line {exc.lineno}: {exc.message}; fix the template "
                        "(or remove it to use the packaged one)") from None
    except SecurityError as exc:
        frame = _template_frame(exc) or kind.template
        raise FoiaError(f"{where} {frame} was refused by the sandbox: {exc}; user templates may "
                        "only use the letter's fields") from None
    except jinja2.UndefinedError as exc:
        frame = _template_frame(exc) or kind.template
        raise FoiaError(Text(f"{where} {frame}: ", exc.message)) from None
    except jinja2.TemplateNotFound as exc:
        raise FoiaError(f"{where} {kind.template}: includes {exc.name!r}, which does not exist") from None
    except FoiaError:
        raise
    except Exception as exc:  # a user template can fail in any way Jinja can
        if user is None:
            raise
        frame = _template_frame(exc) or kind.template
        raise FoiaError(f"{where} {frame} failed: {type(exc).__name__}: {exc}") from None


