"""A mixed load over HTTP, every request recorded, and a readiness prober.

Eight client threads, each a user signed in through the development issuer with the
NPO role, edit their profile (``PATCH /me``), create NPOs and offerings, and read
them back with ``?after=`` the token their last write answered. Every request is a
``Call``: method, route, status (0 when no answer came), latency and, for a write,
what it wrote.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from tests.support.onboarding import offering, profile

CLIENT_THREADS = 8
THINK_SECONDS = 0.15  # between one thread's requests: about 40 requests/s in all
CLIENT_TIMEOUT_SECONDS = 60  # far above every bound: the latency is measured

WriteKind = Literal["profile", "npo", "offering"]


@dataclass(frozen=True)
class Write:
    """What a write asked for: ``subject`` is the id it changed or created (known
    once answered), ``value`` what it wrote there."""

    kind: WriteKind
    subject: str
    value: str
    token: str | None = None


@dataclass(frozen=True)
class Call:
    client: str
    method: str
    route: str
    status: int  # 0: no answer (refused, reset, timed out)
    started: float  # time.monotonic()
    seconds: float
    error: str | None = None  # why no answer came
    retry_after: str | None = None
    problem: dict[str, Any] | None = None  # the problem document, if one
    write: Write | None = None

    @property
    def acknowledged(self) -> bool:
        return self.write is not None and 200 <= self.status < 300

    def describe(self) -> str:
        answer = str(self.status) if self.status else f"no answer ({self.error})"
        return f"{self.method} {self.route} -> {answer} in {self.seconds:.2f}s"


class Recorder:
    """Every call of every client, in the order they ended."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def statuses(self) -> dict[str, int]:
        return dict(sorted(Counter(str(c.status) for c in self.calls).items()))


@dataclass
class Client:
    """One HTTP client, recording each request it makes."""

    name: str
    base_url: str
    recorder: Recorder
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.base_url, timeout=CLIENT_TIMEOUT_SECONDS
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        route: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        write: Write | None = None,
    ) -> tuple[Call, Any]:
        """The call as recorded and its JSON body (None unless a 2xx answer)."""
        started = time.monotonic()
        try:
            response = self._http.request(
                method, url, json=json, params=params, headers=self.headers
            )
        except httpx.HTTPError as error:
            call = Call(
                self.name,
                method,
                route,
                0,
                started,
                time.monotonic() - started,
                error=type(error).__name__,
                write=write,
            )
            self.recorder.add(call)
            return call, None
        seconds = time.monotonic() - started
        body = _json(response)
        problem = (
            body if "problem+json" in response.headers.get("content-type", "") else None
        )
        ok = response.is_success
        if ok and write is not None and isinstance(body, dict):
            ids = body.get("ids") or []
            write = Write(
                write.kind,
                write.subject or (str(ids[0]) if ids else ""),
                write.value,
                body.get("consistency_token"),
            )
        call = Call(
            self.name,
            method,
            route,
            response.status_code,
            started,
            seconds,
            retry_after=response.headers.get("retry-after"),
            problem=problem if isinstance(problem, dict) else None,
            write=write,
        )
        self.recorder.add(call)
        return call, body if ok else None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# --- Users ----------------------------------------------------------------------------


@dataclass
class User:
    """A signed-in user, what they created, and the tokens their writes answered."""

    client: Client
    user_id: str
    npos: list[str] = field(default_factory=list)
    offerings: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # source -> latest token

    def remember(self, call: Call) -> None:
        if call.acknowledged and call.write is not None and call.write.token:
            source = call.write.token.partition(":")[0]
            self.tokens[source] = call.write.token

    def after(self, source: str) -> dict[str, str]:
        token = self.tokens.get(source)
        return {"after": token} if token else {}


def sign_in(base_url: str, recorder: Recorder, name: str) -> User:
    """A new user with the NPO role, through the development issuer."""
    client = Client(name, base_url, recorder)
    nonce = uuid.uuid4().hex
    email = f"{name}-{uuid.uuid4().hex[:10]}@example.org"
    call, issued = client.request(
        "POST",
        "/dev-issuer/token",
        "/dev-issuer/token",
        json={
            "email": email,
            "nonce": nonce,
            "given_name": "Fault",
            "family_name": "Test",
        },
    )
    assert issued is not None, f"sign-in: {call.describe()}"
    call, body = client.request(
        "POST",
        "/auth/sign-in",
        "/auth/sign-in",
        json={"id_token": issued["id_token"], "nonce": nonce, "roles": ["NPO"]},
    )
    assert body is not None, f"sign-in: {call.describe()}"
    client.headers["Authorization"] = f"Bearer {body['access_token']}"
    return User(client, str(body["user_id"]))


def phone_number(rng: random.Random) -> str:
    return f"+1415{rng.randrange(10**6, 10**7)}"


def create_npo(user: User) -> Call:
    name = f"Fault NPO {uuid.uuid4().hex[:8]}"
    body = profile(name=name, registration_id=f"EIN-{uuid.uuid4().hex[:12]}")
    call, _ = user.client.request(
        "POST", "/npos", "/npos", json=body, write=Write("npo", "", name)
    )
    if call.acknowledged and call.write is not None:
        user.npos.append(call.write.subject)
    user.remember(call)
    return call


def create_offering(user: User, npo_id: str) -> Call:
    title = f"Clinic {uuid.uuid4().hex[:8]}"
    call, _ = user.client.request(
        "POST",
        "/npos/{id}/offerings",
        f"/npos/{npo_id}/offerings",
        json=offering(title=title),
        write=Write("offering", "", title),
    )
    if call.acknowledged and call.write is not None:
        user.offerings.append(call.write.subject)
    user.remember(call)
    return call


def edit_profile(user: User, rng: random.Random) -> Call:
    phone = phone_number(rng)
    call, _ = user.client.request(
        "PATCH",
        "/me",
        "/me",
        json={"phone": phone},
        write=Write("profile", user.user_id, phone),
    )
    user.remember(call)
    return call


# --- The load -------------------------------------------------------------------------


Step = Callable[[User, random.Random], object]


def _read_me(user: User, rng: random.Random) -> object:
    return user.client.request("GET", "/me", "/me", params=user.after("identity"))


def _read_npo(user: User, rng: random.Random) -> object:
    if not user.npos:
        return create_npo(user)
    npo_id = rng.choice(user.npos)
    return user.client.request(
        "GET", "/npos/{id}", f"/npos/{npo_id}", params=user.after("onboarding")
    )


def _read_offering(user: User, rng: random.Random) -> object:
    if not user.offerings:
        return _create_offering(user, rng)
    offering_id = rng.choice(user.offerings)
    return user.client.request(
        "GET",
        "/offerings/{id}",
        f"/offerings/{offering_id}",
        params=user.after("onboarding"),
    )


def _create_npo(user: User, rng: random.Random) -> object:
    return create_npo(user)


def _create_offering(user: User, rng: random.Random) -> object:
    if not user.npos:
        return create_npo(user)
    return create_offering(user, rng.choice(user.npos))


# (step, weight): writes and reads about evenly.
STEPS: Sequence[tuple[Step, int]] = (
    (edit_profile, 30),
    (_create_npo, 8),
    (_create_offering, 12),
    (_read_me, 20),
    (_read_npo, 15),
    (_read_offering, 15),
)


class MixedLoad:
    """``CLIENT_THREADS`` users sending a mixed load until stopped."""

    def __init__(self, base_url: str, recorder: Recorder) -> None:
        self.recorder = recorder
        self.users = [
            sign_in(base_url, recorder, f"client{n}") for n in range(CLIENT_THREADS)
        ]
        for user in self.users:
            call = create_npo(user)
            assert call.acknowledged, f"before the fault: {call.describe()}"
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def start(self) -> None:
        for n, user in enumerate(self.users):
            thread = threading.Thread(
                target=self._run, args=(user, random.Random(n)), name=f"load-{n}"
            )
            thread.start()
            self._threads.append(thread)

    def _run(self, user: User, rng: random.Random) -> None:
        steps = [s for s, _ in STEPS]
        weights = [w for _, w in STEPS]
        try:
            while not self._stopping.is_set():
                rng.choices(steps, weights)[0](user, rng)
                self._stopping.wait(THINK_SECONDS)
        except BaseException as error:  # noqa: BLE001 - reported by stop()
            self.errors.append(error)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(CLIENT_TIMEOUT_SECONDS + 5)
        assert not self.errors, f"a load thread failed: {self.errors[0]!r}"

    def close(self) -> None:
        for user in self.users:
            user.client.close()


# --- Readiness ------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    started: float
    seconds: float
    status: int  # 0: no answer
    down: frozenset[str]  # the backends it named as down


class ReadinessProber:
    """``GET /health/ready`` every ``interval`` seconds, each answer recorded."""

    def __init__(self, base_url: str, interval: float = 0.5) -> None:
        self._url = f"{base_url}/health/ready"
        self._interval = interval
        self.probes: list[Probe] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="readiness")

    def __enter__(self) -> ReadinessProber:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join(CLIENT_TIMEOUT_SECONDS + 5)

    def _run(self) -> None:
        with httpx.Client(timeout=CLIENT_TIMEOUT_SECONDS) as http:
            while not self._stopping.is_set():
                started = time.monotonic()
                try:
                    response = http.get(self._url)
                    body = _json(response) or {}
                    down = frozenset(
                        str(b.get("name"))
                        for b in body.get("backends", [])
                        if b.get("status") != "up"
                    )
                    status = response.status_code
                except httpx.HTTPError:
                    status, down = 0, frozenset()
                self.probes.append(
                    Probe(started, time.monotonic() - started, status, down)
                )
                self._stopping.wait(self._interval)

    def between(self, start: float, end: float) -> Iterator[Probe]:
        return (p for p in list(self.probes) if start <= p.started < end)

    def first_ready_after(self, moment: float) -> Probe | None:
        return next(
            (p for p in list(self.probes) if p.started >= moment and p.status == 200),
            None,
        )
