"""A small RFC 5545 reader for tests: unfolds, checks line lengths, parses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


@dataclass
class Prop:
    name: str
    params: dict[str, str]
    value: str


@dataclass
class Component:
    name: str
    props: list[Prop] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def get(self, name: str) -> Prop:
        (found,) = [p for p in self.props if p.name == name]
        return found

    def all(self, name: str) -> list[Component]:
        return [c for c in self.children if c.name == name]


CONTENT_LINE = re.compile(r"^(?P<name>[A-Z0-9-]+)(?P<params>(;[^:]*)?):(?P<value>.*)$")


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in physical)
    for line in physical:
        assert len(line.encode()) <= 75, line
    logical: list[str] = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def parse(text: str) -> Component:
    stack: list[Component] = [Component("ROOT")]
    for line in unfold(text):
        match = CONTENT_LINE.match(line)
        assert match, line
        name, value = match["name"], match["value"]
        params = dict(
            p.split("=", 1) for p in match["params"].lstrip(";").split(";") if p
        )
        if name == "BEGIN":
            stack.append(Component(value))
        elif name == "END":
            done = stack.pop()
            assert done.name == value
            stack[-1].children.append(done)
        else:
            stack[-1].props.append(Prop(name, params, value))
    (calendar,) = stack[0].children
    return calendar


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def when(prop: Prop) -> datetime:
    if prop.value.endswith("Z"):
        return datetime.strptime(prop.value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    local = datetime.strptime(prop.value, "%Y%m%dT%H%M%S")
    return local.replace(tzinfo=ZoneInfo(prop.params["TZID"]))
