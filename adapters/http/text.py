"""Text fields of request bodies, described exactly as the domain checks them.

The domain's kinds and formats (``domain.text``) are the one definition of what text
is accepted. A request field of text is ``Annotated[str, TextField(kind)]``: its
length is checked here (``maxLength``) and its JSON schema carries the pattern the
kind renders as, so the OpenAPI document says what is accepted and what is not. The
characters themselves are checked by the domain when the body becomes a command, and
its refusal names the field (422).

``required=False`` describes text that may be empty or blank (the domain keeps it as
absent); give the field ``| None`` when ``null`` is accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from domain.text import (
    COUNTRY_CODE,
    EMAIL,
    LONG_TEXT,
    NAME,
    PHONE,
    RICH_TEXT,
    SHORT_TEXT,
    TITLE,
    WEB_URL,
    TextFormat,
    TextKind,
)


@dataclass(frozen=True)
class TextField:
    """Pydantic metadata: the length limit of ``kind``, and its JSON schema."""

    kind: TextKind | TextFormat
    required: bool = True
    excluding: str = ""  # characters the field refuses besides (``TextKind`` only)

    def json_schema(self) -> dict[str, Any]:
        if isinstance(self.kind, TextKind):
            pattern = self.kind.pattern(
                required=self.required, excluding=self.excluding
            )
        else:
            pattern = self.kind.pattern(required=self.required)
        schema: dict[str, Any] = {"type": "string"}
        if self.required:
            schema["minLength"] = 1
        schema["maxLength"] = self.kind.max_length
        schema["pattern"] = pattern
        return schema

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.str_schema(max_length=self.kind.max_length)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return self.json_schema()


# Required text: present and not blank.
Name = Annotated[str, TextField(NAME)]
Title = Annotated[str, TextField(TITLE)]
LongText = Annotated[str, TextField(LONG_TEXT)]
# Optional text: empty or blank means absent.
OptionalName = Annotated[str, TextField(NAME, required=False)]
OptionalShortText = Annotated[str, TextField(SHORT_TEXT, required=False)]
OptionalLongText = Annotated[str, TextField(LONG_TEXT, required=False)]
OptionalRichText = Annotated[str, TextField(RICH_TEXT, required=False)]
ShortText = Annotated[str, TextField(SHORT_TEXT)]
# Formats: the whole text has the shape; optional ones may be empty.
Phone = Annotated[str, TextField(PHONE)]
OptionalPhone = Annotated[str, TextField(PHONE, required=False)]
OptionalEmail = Annotated[str, TextField(EMAIL, required=False)]
WebUrl = Annotated[str, TextField(WEB_URL)]
OptionalWebUrl = Annotated[str, TextField(WEB_URL, required=False)]
CountryCode = Annotated[str, TextField(COUNTRY_CODE)]
OptionalCountryCode = Annotated[str, TextField(COUNTRY_CODE, required=False)]
