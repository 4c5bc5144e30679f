"""Any event the domain accepts can be projected: commands carrying hostile text.

``Hostile`` draws the text: every kind of character the text rules let through
(letters of every script, combining marks, right-to-left text, emoji sequences,
astral code points, private use, tabs and line breaks where text spans lines,
quotes, backslashes, ``$`` and ``.`` and ``{`` where a document store might read
them, texts at their kind's full length) and, now and then, a character the rules
refuse (NUL, ESC, BEL, a bidirectional override, a lone surrogate). A command the
domain refuses (``InvalidFieldError``) is counted and skipped; every command it
accepts is dispatched through the composition root's ``Dispatcher`` and every
projection of the composed app must then apply the events.

``TextWorld`` runs that against a container: the embedded stores, or the real
PostgreSQL, FerretDB and Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.bootstrap import Container
from commands.base import Actor, Command
from commands.identity.application import IdentityApplication
from commands.identity.messages import AddressFields, DisableUser, SignIn, UpdateProfile
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddCategory,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    DeleteNpo,
    TakeDownOffering,
    UpdateCommunity,
    UpdateNpo,
    UpdateOffering,
)
from commands.scheduling.messages import (
    AvailabilityRange,
    CancelMeeting,
    JoinSeries,
    ScheduleIntroMeeting,
    SetAvailability,
)
from domain.base import ConflictError, InvalidFieldError
from domain.identity.values import Role
from domain.onboarding.offering import Offering
from domain.onboarding.offering_content import (
    MAX_ATTRIBUTE_NUMBER,
    MIN_ATTRIBUTE_NUMBER,
    ModuleKind,
    OfferingContent,
    OfferingDeadline,
    OfferingLink,
    OfferingLocation,
    OfferingModule,
)
from domain.onboarding.values import TAG, NpoContact, NpoLocation, NpoProfile
from domain.scheduling.values import MeetingKind
from domain.text import (
    LONG_TEXT,
    NAME,
    RICH_TEXT,
    SHORT_TEXT,
    TITLE,
    TextKind,
    refused_code_points,
)
from projections.onboarding.offerings import OFFERINGS_COLLECTION

# --- Text ----------------------------------------------------------------------------

# Pieces that have broken stores, drivers or parsers somewhere.
_PIECES = (
    "'", '"', "\\", "$", "{", "}", ".", "$where", "{$gt: ''}", "a.b", "%s",
    "%(x)s", "'; DROP TABLE users; --", "<script>alert(1)</script>", "NaN", "null",
    "\\u0000", "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627",
    "e\u0301", "\u0928\u092e\u0938\u094d\u0924\u0947",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
    "\U0001f600", "\U00010000", "\U0010fffd", "\u200e", "\u200f", "\u00ad",
    "\ufffd", " ", "\u00a0", "\u3000",
)  # fmt: skip
_LINES = ("\n", "\r\n", "\t", "\u2028", "\u2029")
# Refused by the text rules: the domain must refuse them, or project them.
_REFUSED = (
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\ufeff",
    "\u200b", "\ud800", "\udfff", "\ufffe", "\n",
)  # fmt: skip
# One field in this many holds a refused character.
HOSTILE_ONE_IN = 24


def _characters(multiline: bool) -> st.SearchStrategy[str]:
    refused = refused_code_points(multiline=multiline)
    # Every general category but controls and surrogates; what the text rules
    # refuse of the others (some format characters, line breaks in one-line text)
    # is drawn apart.
    return st.characters(
        exclude_categories=("Cc", "Cs"),
        exclude_characters="".join(chr(c) for c in refused if not 0xD800 <= c < 0xE000),
    )


@st.composite
def _pieces(draw: st.DrawFn, multiline: bool, hostile: bool) -> str:
    piece = st.one_of(
        st.text(_characters(multiline), min_size=1, max_size=8),
        st.sampled_from(_PIECES),
        *([st.sampled_from(_LINES)] if multiline else []),
    )
    pieces = draw(st.lists(piece, min_size=1, max_size=8))
    if hostile:
        at = draw(st.integers(0, len(pieces)))
        pieces.insert(at, draw(st.sampled_from(_REFUSED)))
    return "".join(pieces)


def text_of(kind: TextKind) -> st.SearchStrategy[str]:
    """Text for a field of ``kind``: what it accepts, now and then at its full
    length; once in ``HOSTILE_ONE_IN`` fields, with a character it refuses."""
    accepted = _pieces(kind.multiline, hostile=False)
    full = st.tuples(accepted, st.integers(kind.max_length - 2, kind.max_length)).map(
        lambda pair: (pair[0] * pair[1])[: pair[1]]
    )

    def choose(n: int) -> st.SearchStrategy[str]:
        if n == 0:
            return _pieces(kind.multiline, hostile=True)
        return full if n == 1 else accepted

    return st.integers(0, HOSTILE_ONE_IN - 1).flatmap(choose)


def maybe_text_of(kind: TextKind) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), text_of(kind))


def html_text() -> st.SearchStrategy[str]:
    """Rich text: markup around hostile text, links that try to leave."""
    tags = st.sampled_from(
        [
            "<p>",
            "</p>",
            "<strong>",
            "<a href='/\\evil.example'>",
            "<a href='https://ok.example/?q=$x'>",
            "</a>",
            "&#x202e;",
            "&#0;",
            "&#xd800;",
            "<script>",
            "<!--",
        ]
    )
    piece = st.one_of(_pieces(True, hostile=False), tags)
    return st.lists(piece, max_size=10).map("".join) | text_of(RICH_TEXT)


# --- Commands ------------------------------------------------------------------------


def actor(*roles: str, user_id: str | None = None) -> Actor:
    return Actor(
        user_id=user_id or str(uuid4()),
        roles=frozenset(roles),
        correlation_id=f"text-{uuid4().hex[:8]}",
    )


@dataclass
class Tally:
    """How many commands the domain accepted and refused (a check that it is real:
    most must be accepted)."""

    accepted: int = 0
    refused: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def note_refusal(self, error: InvalidFieldError) -> None:
        self.refused += 1
        self.reasons[error.field] = self.reasons.get(error.field, 0) + 1


@dataclass
class TextWorld:
    """Sends commands through the container's dispatcher and projects them."""

    container: Container
    tally: Tally = field(default_factory=Tally)
    # What a user would check once the views caught up (run by ``project``).
    checks: list[Callable[[], None]] = field(default_factory=list)

    def send(self, make: Callable[[], Command[Any]]) -> Any:
        """The command's result, or None when the domain refused it (a value object
        it is made of, or the command's handler)."""
        try:
            result = self.container.dispatcher.dispatch(make())
        except InvalidFieldError as refused:
            self.tally.note_refusal(refused)
            return None
        except ConflictError:  # e.g. a community name drawn twice
            self.tally.refused += 1
            return None
        self.tally.accepted += 1
        return result

    def project(self) -> None:
        """Run every projection to the heads (process managers send commands on the
        way, so until nothing is left); a projection that fails raises."""
        engine = self.container.engine
        for _ in range(10):
            if not engine.catch_up():
                break
        else:
            raise AssertionError("the projections never caught up")
        while self.checks:
            self.checks.pop(0)()


Story = Callable[[TextWorld], None]

# Identity --------------------------------------------------------------------------

ISSUER = "https://issuer.example"
COUNTRIES = ("US", "de", "Fr", "JP")
PHONES = ("+14155550100", "+4930123456", None)


@st.composite
def identity_story(draw: st.DrawFn) -> Story:
    given, family = draw(maybe_text_of(NAME)), draw(maybe_text_of(NAME))
    first, last = draw(maybe_text_of(NAME)), draw(maybe_text_of(NAME))
    line1, line2 = draw(text_of(SHORT_TEXT)), draw(maybe_text_of(SHORT_TEXT))
    city, region = draw(text_of(NAME)), draw(maybe_text_of(NAME))
    postal = draw(maybe_text_of(NAME))
    country, phone = draw(st.sampled_from(COUNTRIES)), draw(st.sampled_from(PHONES))
    reason = draw(text_of(LONG_TEXT))

    def story(world: TextWorld) -> None:
        subject = uuid4().hex
        signed_in = world.send(
            lambda: SignIn(
                actor=Actor.system(f"text-{subject[:8]}"),
                issuer=ISSUER,
                subject=subject,
                email=f"{subject}@example.org",
                email_verified=True,
                given_name=given,
                family_name=family,
                sign_up_roles=frozenset({Role.CANDIDATE}),
            )
        )
        assert signed_in is not None, "a provider's bad names never refuse sign-in"
        user = str(signed_in.user_id)
        world.send(
            lambda: UpdateProfile(
                actor=actor(user_id=user),
                user_id=UUID(user),
                first_name=first,
                last_name=last,
                address=AddressFields(
                    line1=line1,
                    line2=line2,
                    city=city,
                    region=region,
                    postal_code=postal,
                    country=country,
                ),
                phone=phone,
            )
        )
        world.send(
            lambda: DisableUser(
                actor=Actor.system("text"), user_id=UUID(user), reason=reason
            )
        )
        world.checks.append(lambda: _user_is_shown(world.container, UUID(user)))

    return story


def _user_is_shown(container: Container, user_id: UUID) -> None:
    """The users view (or the cache in front of it) shows what the user holds."""
    user = container.application(IdentityApplication).get_user(user_id)
    shown = container.identity.directory.get(user_id)
    assert shown is not None
    assert (shown.first_name, shown.last_name, shown.address, shown.disabled) == (
        user.first_name,
        user.last_name,
        user.address,
        user.disabled,
    )


# Onboarding --------------------------------------------------------------------------

URL_TAILS = ("", "/", "/a b", "/$x?y={z}", "/\\evil", "/%00", "/\u05e9", "#\u202e")


@st.composite
def _url(draw: st.DrawFn) -> str | None:
    tail = draw(st.sampled_from(URL_TAILS))
    return draw(st.sampled_from([None, f"https://npo.example{tail}"]))


@st.composite
def _tags(draw: st.DrawFn) -> list[str]:
    """Tags as typed (ASCII words), once in a while any text (refused but ASCII)."""
    typed = st.one_of(
        st.sampled_from(["Resume Writing", "interview_prep", "-x-", " a  b ", "Z9"]),
        st.from_regex(TAG.regex, fullmatch=True).filter(lambda t: len(t) <= 50),
    )
    tag = st.integers(0, HOSTILE_ONE_IN - 1).flatmap(
        lambda n: text_of(NAME) if n == 0 else typed
    )
    return draw(st.lists(tag, max_size=4))


@st.composite
def npo_profile(draw: st.DrawFn) -> Callable[[], NpoProfile]:
    name, description = draw(text_of(TITLE)), draw(maybe_text_of(LONG_TEXT))
    registration_id = draw(text_of(NAME))
    region, address = draw(text_of(NAME)), draw(maybe_text_of(SHORT_TEXT))
    website, service_areas = draw(_url()), draw(_tags())

    return lambda: NpoProfile.of(
        name=name,
        description=description,
        registration_id=registration_id,
        website=website,
        location=NpoLocation(region=region, address=address, country="us"),
        contact=NpoContact(email="hello@npo.example", phone="+14155550100"),
        service_areas=service_areas,
    )


@st.composite
def _attributes(draw: st.DrawFn) -> dict[str, object]:
    scalar = st.one_of(
        maybe_text_of(SHORT_TEXT),
        st.integers(MIN_ATTRIBUTE_NUMBER, MAX_ATTRIBUTE_NUMBER),
        st.floats(MIN_ATTRIBUTE_NUMBER, MAX_ATTRIBUTE_NUMBER),
        st.booleans(),
    )
    keys = st.from_regex(r"[a-z][a-z0-9_]{0,49}", fullmatch=True)
    values = st.one_of(scalar, st.lists(scalar, max_size=5))
    return draw(st.dictionaries(keys, values, max_size=4))


@st.composite
def offering_content(draw: st.DrawFn) -> Callable[[], OfferingContent]:
    title, summary = draw(text_of(TITLE)), draw(maybe_text_of(SHORT_TEXT))
    html, tags = draw(html_text()), draw(_tags())
    link_title, link_url = draw(text_of(TITLE)), draw(_url())
    deadline_title = draw(text_of(TITLE))
    module_title, module_text = draw(text_of(TITLE)), draw(maybe_text_of(LONG_TEXT))
    region, address = draw(maybe_text_of(NAME)), draw(maybe_text_of(SHORT_TEXT))
    eligibility, attributes = draw(maybe_text_of(LONG_TEXT)), draw(_attributes())

    return lambda: OfferingContent.of(
        title=title,
        summary=summary,
        categories=["resume_writing"],
        tags=tags,
        description_html=html,
        links=[OfferingLink(title=link_title, url=link_url or "https://ok.example")],
        deadlines=[OfferingDeadline(title=deadline_title, due="2027-01-31")],
        modules=[
            OfferingModule(
                kind=ModuleKind.ASSIGNMENT, title=module_title, description=module_text
            )
        ],
        location=OfferingLocation(region=region, address=address, remote=True),
        eligibility=eligibility,
        attributes=attributes,
    )


@dataclass(frozen=True)
class _Community:
    name: str
    description: str | None
    tags: tuple[str, ...]


@st.composite
def _community(draw: st.DrawFn) -> _Community:
    return _Community(
        draw(text_of(TITLE)), draw(maybe_text_of(LONG_TEXT)), tuple(draw(_tags()))
    )


@st.composite
def onboarding_story(draw: st.DrawFn) -> Story:
    created, edited = draw(npo_profile()), draw(npo_profile())
    offered, reoffered = draw(offering_content()), draw(offering_content())
    community, renamed = draw(_community()), draw(_community())
    label, takedown, deletion = (
        draw(text_of(NAME)),
        draw(text_of(LONG_TEXT)),
        draw(text_of(LONG_TEXT)),
    )

    def story(world: TextWorld) -> None:
        owner, admin = actor("NPO"), actor("ADMIN")
        made = world.send(
            lambda: CreateCommunity(
                actor=admin,
                name=community.name,
                description=community.description,
                tags=community.tags,
            )
        )
        if made is not None:
            world.send(
                lambda: UpdateCommunity(
                    actor=admin,
                    community_id=UUID(made.ids[0]),
                    name=renamed.name,
                    description=renamed.description,
                    tags=renamed.tags,
                )
            )
        world.send(lambda: AddCategory(actor=admin, slug="text_probe", label=label))
        npo = world.send(lambda: CreateNpo(actor=owner, profile=created()))
        if npo is None:
            npo = world.send(lambda: CreateNpo(actor=owner, profile=_plain_profile()))
        npo_id = UUID(npo.ids[0])
        world.send(lambda: UpdateNpo(actor=owner, npo_id=npo_id, profile=edited()))
        offering = world.send(
            lambda: CreateOffering(actor=owner, npo_id=npo_id, content=offered())
        )
        if offering is not None:
            offering_id = UUID(offering.ids[0])
            world.send(
                lambda: UpdateOffering(
                    actor=owner, offering_id=offering_id, content=reoffered()
                )
            )
            world.send(
                lambda: TakeDownOffering(
                    actor=admin, offering_id=offering_id, reason=takedown
                )
            )
            world.checks.append(
                lambda: _offering_is_shown(world.container, offering_id)
            )
        world.send(lambda: DeleteNpo(actor=admin, npo_id=npo_id, reason=deletion))

    return story


def _offering_is_shown(container: Container, offering_id: UUID) -> None:
    """The offerings view holds the offering's content as the offering does."""
    app = container.application(OnboardingApplication)
    offering: Offering = app.repository.get(offering_id)
    shown = container.documents.get(f"{OFFERINGS_COLLECTION}_v1", str(offering_id))
    assert shown is not None
    content = offering.content.to_state()
    assert {key: shown[key] for key in content} == content
    assert shown["status_reason"] == offering.status_reason


def _plain_profile() -> NpoProfile:
    # Its own registration id: one registration id identifies one NPO.
    return NpoProfile.of(
        name="Plain",
        registration_id=f"EIN-{uuid4().hex}",
        location=NpoLocation(region="Bay Area"),
    )


# Scheduling --------------------------------------------------------------------------

CONTEXT_KEYS = ("npo_id", "$where", "a.b", ".x", "{", "'", '"', "\\", "_id")


@st.composite
def scheduling_story(draw: st.DrawFn) -> Story:
    title, series_title = draw(text_of(TITLE)), draw(text_of(TITLE))
    reason = draw(text_of(LONG_TEXT))
    context = draw(
        st.dictionaries(st.sampled_from(CONTEXT_KEYS), text_of(NAME), max_size=3)
    )

    def story(world: TextWorld) -> None:
        system = Actor.system("text")
        npo_member, leader = str(uuid4()), str(uuid4())
        for user in (npo_member, leader):
            world.send(partial(_always_free, system, user))
        now = datetime.now(UTC)
        meeting = world.send(
            lambda: ScheduleIntroMeeting(
                actor=system,
                request_key=uuid4().hex,
                parties=[[npo_member], [leader]],
                organiser_id=leader,
                title=title,
                trigger_at=now,
                context=context,
            )
        )
        world.send(
            lambda: JoinSeries(
                actor=system,
                series_key=f"community:{uuid4().hex}",
                kind=MeetingKind.COMMUNITY,
                title=series_title,
                organiser_id=leader,
                user_ids=[npo_member],
                trigger_at=now,
                context=context,
            )
        )
        if meeting is not None:
            world.send(
                lambda: CancelMeeting(
                    actor=system, meeting_id=UUID(meeting.ids[0]), reason=reason
                )
            )

    return story


def _always_free(system: Actor, user_id: str) -> SetAvailability:
    return SetAvailability(
        actor=system,
        user_id=user_id,
        time_zone="Asia/Kolkata",
        ranges=[
            AvailabilityRange(weekday=day, start="00:00", end="23:30")
            for day in range(7)
        ],
    )


STORIES = {
    "identity": identity_story,
    "onboarding": onboarding_story,
    "scheduling": scheduling_story,
}


def tell_stories(world: TextWorld, context: str, examples: int) -> None:
    """Run ``examples`` of a context's stories in ``world`` (derandomized, so a
    failure is the same failure on the next run), projecting after each; then check
    the check was real: most commands were accepted, and some refused."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(STORIES[context]())
    def run(story: Story) -> None:
        story(world)
        world.project()

    run()
    assert world.tally.accepted > world.tally.refused > 0, world.tally
