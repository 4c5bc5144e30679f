"""Text people supply: one definition of what is refused, and the kinds of text.

Every string a user or a sign-in provider supplies (names, titles, free text, rich
text, file names, reasons, addresses...) is checked by a ``TextKind`` before it
reaches an event, in every context. A refusal is an ``InvalidFieldError`` naming the
field (422 over HTTP).

Refused in every kind:

- control characters (Unicode category Cc: NUL, BEL, ESC, DEL, the C1 controls),
  except tab, line feed and carriage return in multi-line kinds;
- surrogates (Cs): a JSON ``"\\ud800"`` escape makes one, and no store can encode it;
- bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069):
  they reorder how the text around them is shown;
- invisible characters with no place in typed text: zero width space (U+200B),
  word joiner and invisible operators (U+2060-U+2064), the deprecated format
  characters (U+206A-U+206F), the Mongolian vowel separator (U+180E), the byte
  order mark (U+FEFF), interlinear annotations (U+FFF9-U+FFFB);
- the noncharacters U+FDD0-U+FDEF, U+FFFE and U+FFFF;
- the line and paragraph separators (U+2028, U+2029), except in multi-line kinds.

Kept on purpose: zero width (non-)joiners (U+200C, U+200D: Persian and Indic
scripts, emoji sequences), the left-to-right and right-to-left marks (U+200E,
U+200F, U+061C: they only mark direction), the soft hyphen, tag characters (flag
emoji), private-use and unassigned code points, every letter, mark, number,
punctuation, symbol and space.

Lengths count code points of the text *as given*, before it is trimmed (as JSON
Schema's ``maxLength`` counts). Text that is kept is trimmed of whitespace and put
in Unicode normal form C. Required text must hold more than whitespace; optional
text that is empty or only whitespace is absent (``None``).

``pattern`` renders the same rules as a regular expression in the subset that
ECMA-262 (JSON Schema's dialect) and Python's ``re`` read alike, so the request
schemas describe exactly what is accepted, with one exception: a lone surrogate
(JSON can spell one, ``"\\ud800"``) is refused by the domain only, since patterns
that name surrogates are refused by many regular expression engines.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from domain.base import InvalidFieldError

# Code point ranges (inclusive) refused in every kind.
_REFUSED_EVERYWHERE: tuple[tuple[int, int], ...] = (
    (0x0000, 0x0008),  # C0 controls before tab
    (0x000B, 0x000C),  # vertical tab, form feed
    (0x000E, 0x001F),  # the rest of C0
    (0x007F, 0x009F),  # DEL and the C1 controls
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200B),  # zero width space
    (0x202A, 0x202E),  # bidirectional embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidirectional isolates, deprecated format characters
    (0xD800, 0xDFFF),  # surrogates
    (0xFDD0, 0xFDEF),  # noncharacters
    (0xFEFF, 0xFEFF),  # byte order mark
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0xFFFE, 0xFFFF),  # noncharacters
)
# Line breaks and tab: refused where text is one line, kept where it is many.
_LINE_CHARACTERS: tuple[tuple[int, int], ...] = (
    (0x0009, 0x000A),  # tab, line feed
    (0x000D, 0x000D),  # carriage return
    (0x2028, 0x2029),  # line and paragraph separators
)


def _code_points(ranges: Iterable[tuple[int, int]]) -> frozenset[int]:
    return frozenset(c for low, high in ranges for c in range(low, high + 1))


_REFUSED_MULTILINE = _code_points(_REFUSED_EVERYWHERE)
_LINE_BREAKS_AND_TAB = _code_points(_LINE_CHARACTERS)
_REFUSED_ONE_LINE = _REFUSED_MULTILINE | _LINE_BREAKS_AND_TAB


def refused_code_points(*, multiline: bool) -> frozenset[int]:
    """Every code point text of this shape refuses (all are below U+10000)."""
    return _REFUSED_MULTILINE if multiline else _REFUSED_ONE_LINE


def refused_character(value: str, *, multiline: bool) -> str | None:
    """The first character ``value`` may not hold, or None."""
    refused = refused_code_points(multiline=multiline)
    for character in value:
        if ord(character) in refused:
            return character
    return None


def without_refused(value: str, *, multiline: bool) -> str:
    """``value`` with the characters text may not hold removed (for text that was
    never typed as such: references decoded from HTML)."""
    refused = refused_code_points(multiline=multiline)
    return "".join(c for c in value if ord(c) not in refused)


def refusal_reason(character: str, *, multiline: bool) -> str:
    """Why text holding ``character`` is refused (it names the code point)."""
    code = f"U+{ord(character):04X}"
    if not multiline and ord(character) in _LINE_BREAKS_AND_TAB:
        return f"must be a single line without tabs ({code})"
    return f"contains a control or invisible formatting character ({code})"


# --- The same rules as a regular expression --------------------------------------


def _ranges_of(code_points: Iterable[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for c in sorted(code_points):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return ranges


def _escaped(c: int) -> str:
    return f"\\u{c:04x}"


def class_excluding(code_points: Iterable[int], extra: str = "") -> str:
    """A character class (``[^...]``): any one character but these.

    Written with ``\\uXXXX`` escapes only, which ECMA-262 and Python read alike.
    ``extra`` adds characters (written as they are, e.g. ``"@/?#"``). Surrogates are
    left out: many regular expression engines cannot hold them, and without them a
    character above U+FFFF passes whether it is read as one character or, as
    ECMA-262 without the ``u`` flag reads it, as two surrogates.
    """
    excluded = {*code_points, *(ord(c) for c in extra)} - _SURROGATES
    return f"[^{_class_body(excluded)}]"


_SURROGATES = frozenset(range(0xD800, 0xE000))


def _class_body(code_points: Iterable[int]) -> str:
    return "".join(
        _escaped(low) if low == high else f"{_escaped(low)}-{_escaped(high)}"
        for low, high in _ranges_of(code_points)
    )


def class_of(code_points: Iterable[int]) -> str:
    """A character class (``[...]``) of exactly these characters."""
    return f"[{_class_body(code_points)}]"


# Whitespace is what trimming removes (``str.isspace``; none is above U+FFFF).
_WHITESPACE = frozenset(c for c in range(0x10000) if chr(c).isspace())


def whitespace_code_points(*, multiline: bool) -> frozenset[int]:
    """The whitespace text of this shape may hold (and loses when trimmed)."""
    return _WHITESPACE - refused_code_points(multiline=multiline)


# --- Kinds -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextKind:
    """A kind of text: how long it may be and whether it may span lines."""

    name: str
    max_length: int
    multiline: bool = False

    # -- checks -----------------------------------------------------------------

    def required(self, value: object, field: str) -> str:
        """The text, trimmed and normalised; refused when absent or blank."""
        checked = self._checked(value, field)
        if checked is None:
            raise InvalidFieldError(field, "is required")
        return checked

    def optional(self, value: object, field: str) -> str | None:
        """The text, trimmed and normalised; None when absent, empty or blank."""
        if value is None:
            return None
        return self._checked(value, field)

    def nullable(self, value: object, field: str) -> str | None:
        """None stays None (it clears a field); any text given must not be blank."""
        if value is None:
            return None
        return self.required(value, field)

    def kept(self, value: object) -> str | None:
        """The text if this kind accepts it, else None: for what others claim
        (a sign-in provider's names), where dropping beats refusing."""
        if value is None:
            return None
        try:
            return self._checked(value, "-")
        except InvalidFieldError:
            return None

    def _checked(self, value: object, field: str) -> str | None:
        if not isinstance(value, str):
            raise InvalidFieldError(field, "must be text")
        if len(value) > self.max_length:
            raise InvalidFieldError(
                field, f"is longer than {self.max_length} characters"
            )
        refused = refused_character(value, multiline=self.multiline)
        if refused is not None:
            raise InvalidFieldError(
                field, refusal_reason(refused, multiline=self.multiline)
            )
        stripped = value.strip()
        if not stripped:
            return None
        return unicodedata.normalize("NFC", stripped)

    # -- the same rules as a pattern --------------------------------------------

    def pattern(self, *, required: bool, excluding: str = "") -> str:
        """A regular expression that matches exactly the text this kind accepts
        (with ``max_length`` beside it): for optional text, anything without a
        refused character; for required text, that and something not blank.

        ``excluding`` names characters a field refuses besides (a file name's
        slashes)."""
        refused = refused_code_points(multiline=self.multiline) | {
            ord(c) for c in excluding
        }
        allowed = class_excluding(refused)
        if not required:
            return f"^{allowed}*$"
        space = whitespace_code_points(multiline=self.multiline) - refused
        solid = class_excluding(refused | space)
        return f"^{class_of(space)}*{solid}{allowed}*$"


# The kinds every context uses; their limits are defined here only.
NAME = TextKind("name", 100)
"""A person's or a place's name, a label, a code someone types (a registration id,
a postal code)."""
TITLE = TextKind("title", 200)
"""What names a thing: an NPO, a community, an offering, a link, a module, a
meeting, a file."""
SHORT_TEXT = TextKind("short text", 500)
"""One line of free text: a summary, an address line, an offering's attribute."""
LONG_TEXT = TextKind("long text", 5_000, multiline=True)
"""Free text over many lines: descriptions, eligibility, reasons."""
RICH_TEXT = TextKind("rich text", 50_000, multiline=True)
"""HTML before it is sanitised (``domain.onboarding.richtext``)."""

KINDS = (NAME, TITLE, SHORT_TEXT, LONG_TEXT, RICH_TEXT)


# --- Formats -----------------------------------------------------------------------


@dataclass(frozen=True)
class TextFormat:
    """Text with a fixed shape (an email address, a phone number, a tag).

    Checked exactly as given, not trimmed: ``regex`` (in the subset ECMA-262 and
    Python read alike) must match the whole text, which is at most ``max_length``
    long. Optional: absent or empty is None.
    """

    name: str
    regex: str
    max_length: int
    hint: str

    def required(self, value: object, field: str) -> str:
        if value is None or value == "":
            raise InvalidFieldError(field, "is required")
        return self._checked(value, field)

    def optional(self, value: object, field: str) -> str | None:
        if value is None or value == "":
            return None
        return self._checked(value, field)

    def nullable(self, value: object, field: str) -> str | None:
        """None stays None (it clears a field); any text given must match."""
        if value is None:
            return None
        return self._checked(value, field)

    def matches(self, value: str) -> bool:
        return (
            len(value) <= self.max_length
            and re.fullmatch(self.regex, value) is not None
        )

    def _checked(self, value: object, field: str) -> str:
        if not isinstance(value, str):
            raise InvalidFieldError(field, "must be text")
        if len(value) > self.max_length:
            raise InvalidFieldError(
                field, f"is longer than {self.max_length} characters"
            )
        if re.fullmatch(self.regex, value) is None:
            raise InvalidFieldError(field, self.hint)
        return value

    def pattern(self, *, required: bool) -> str:
        """The whole text matches ``regex`` (or, when optional, is empty)."""
        return f"^(?:{self.regex})$" if required else f"^(?:{self.regex})?$"


_ONE_LINE_NO_SPACE = _REFUSED_ONE_LINE | _WHITESPACE
_EMAIL_PART = class_excluding(_ONE_LINE_NO_SPACE, "@")
_URL_HOST = class_excluding(_ONE_LINE_NO_SPACE, "/?#\\")
_URL_REST = class_excluding(_ONE_LINE_NO_SPACE, "\\")

EMAIL = TextFormat(
    "email",
    f"{_EMAIL_PART}{{1,64}}@{_EMAIL_PART}{{1,255}}\\.{_EMAIL_PART}{{2,}}",
    320,
    "is not an email address",
)
PHONE = TextFormat(
    "phone", r"\+[1-9][0-9]{6,14}", 16, "must be in E.164 form, e.g. +14155550100"
)
WEB_URL = TextFormat(
    "web address",
    f"[Hh][Tt][Tt][Pp][Ss]?://{_URL_HOST}+(?:[/?#]{_URL_REST}*)?",
    2000,
    "must be an absolute http(s) URL without spaces or backslashes",
)
COUNTRY_CODE = TextFormat(
    "country", "[A-Za-z]{2}", 2, "must be an ISO 3166 alpha-2 code"
)
