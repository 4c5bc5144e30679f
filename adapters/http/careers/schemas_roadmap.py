"""Request bodies of the roadmap's write routes, and the answer naming a new item.

Text fields are checked by the domain when the body becomes a command (its refusal
names the field as the request does: ``goal.modules[0].title``, ``reason``...);
here only their lengths and shapes are described.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from adapters.http.commands import Accepted
from adapters.http.text import (
    LongText,
    ShortText,
    TextField,
    Title,
)
from commands.base import JSON_INTEGER, CommandResult
from commands.careers.roadmap_handlers import ITEM_ID
from domain.careers.roadmap import MAX_ITEMS, MAX_RATING, MIN_RATING
from domain.careers.roadmap_items import DUE, MAX_MODULES, ItemSpec

STRICT = ConfigDict(extra="forbid")

ItemId = Annotated[str, TextField(ITEM_ID)]
Due = Annotated[str, TextField(DUE)]
# The pattern gives the shape; a real calendar date is what is taken.
REAL_DATE: dict[str, Any] = {
    "allOf": [{"anyOf": [{"format": "date"}, {"format": "date-time"}]}]
}
Rating = Annotated[int, Field(ge=MIN_RATING, le=MAX_RATING), JSON_INTEGER]


class ModuleIn(BaseModel):
    model_config = STRICT
    title: Title
    due: Due | None = Field(
        default=None,
        description="An ISO date, or a date-time with its offset.",
        json_schema_extra=REAL_DATE,
    )


class GoalIn(BaseModel):
    """A custom goal: its title, description, modules and deadline."""

    model_config = STRICT
    title: Title
    description: LongText | None = None
    modules: list[ModuleIn] = Field(default_factory=list, max_length=MAX_MODULES)
    deadline: Due | None = Field(
        default=None,
        description="An ISO date, or a date-time with its offset.",
        json_schema_extra=REAL_DATE,
    )

    def to_value(self) -> ItemSpec:
        return ItemSpec.goal(
            self.title,
            self.description,
            [{"title": m.title, "due": m.due} for m in self.modules],
            self.deadline,
        )


def _one_of_goal_or_offering(schema: dict[str, Any]) -> None:
    """The document says what the handler checks: exactly one of the two, neither
    of them null (absent is how one leaves it out)."""
    properties = schema["properties"]
    for name in ("goal", "offering_id"):
        described = properties[name]
        (given,) = [s for s in described.pop("anyOf") if s.get("type") != "null"]
        described.update(given)
    schema["oneOf"] = [{"required": ["goal"]}, {"required": ["offering_id"]}]


class ItemIn(BaseModel):
    """Either a custom goal or a visible offering (its modules and deadlines are
    copied now): exactly one of ``goal`` and ``offering_id``."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=_one_of_goal_or_offering
    )
    item_id: ItemId | None = Field(
        default=None,
        description="The item's id, if the caller names it (a retried request "
        "then finds its item); otherwise the server makes one.",
    )
    goal: GoalIn | None = None
    offering_id: ItemId | None = Field(
        default=None, description="A visible offering (GET /offerings)."
    )

    @field_validator("goal", "offering_id", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Absent is fine (the other one is given); null is not a value here.
        if value is None:
            raise ValueError("give it, or leave it out")
        return value

    def spec(self) -> ItemSpec | None:
        return None if self.goal is None else self.goal.to_value()


class SuggestedItemIn(ItemIn):
    note: ShortText | None = Field(
        default=None, description="Why, in the mentor's words (shown to the mentee)."
    )


class ApprovalIn(BaseModel):
    model_config = STRICT
    position: Annotated[int, Field(ge=0), JSON_INTEGER] | None = Field(
        default=None,
        description="Where in the priority order (0 first); none or past the end: "
        "last.",
    )


class MentorDeclineIn(BaseModel):
    model_config = STRICT
    reason: ShortText = Field(description="Why (shown to the candidate).")


class OptionalReasonIn(BaseModel):
    model_config = STRICT
    reason: ShortText | None = None


class PrioritiesIn(BaseModel):
    model_config = STRICT
    order: list[ItemId] = Field(
        max_length=MAX_ITEMS,
        description="Every item on the roadmap (approved, not withdrawn) once, "
        "most important first.",
        # Said in the document; the roadmap refuses a repeat, naming ``order``.
        json_schema_extra={"uniqueItems": True},
    )


class ModuleMarkIn(BaseModel):
    model_config = STRICT
    done: StrictBool


class DeadlineIn(BaseModel):
    model_config = STRICT
    due: Due | None = Field(
        description="An ISO date, or a date-time with its offset; null removes a "
        "module's due date (an item's deadline cannot be removed).",
        json_schema_extra=REAL_DATE,
    )


class FeedbackIn(BaseModel):
    model_config = STRICT
    rating: Rating = Field(description="The roadmap as a whole, 1 to 5.")
    comment: LongText | None = None
    items: dict[ItemId, Rating] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Ratings (1 to 5) of items on the roadmap, by item id.",
        json_schema_extra={
            "propertyNames": TextField(ITEM_ID).json_schema(),
            "additionalProperties": False,
        },
    )


class ItemAccepted(Accepted):
    """The command's answer, with the id of the item it made."""

    item_id: str

    @classmethod
    def of_item(cls, result: CommandResult, item_id: str) -> ItemAccepted:
        return cls(
            item_id=item_id,
            ids=list(result.ids),
            consistency_token=result.consistency_token,
        )
