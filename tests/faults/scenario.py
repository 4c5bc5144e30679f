"""One fault under load, and what must hold afterwards.

``run_fault`` drives the mixed load (``load``), stops one backend or process, starts
it again, and then checks, printing the measured figures as one JSON line:

- no acknowledged write lost (in the event store, and visible through the API);
- every view equal to a rebuild from the log within ``VIEWS_DEADLINE_SECONDS``;
- no 500 anywhere: outages answer 503 with ``Retry-After`` and a ``backend`` member;
- no request longer than ``REQUEST_BOUND_SECONDS``;
- readiness truthful: answers within ``READY_ANSWER_SECONDS`` during the fault (503,
  naming the stopped backend) and 200 within ``READY_DEADLINE_SECONDS`` of recovery;
- the offering flow resumes: its consumer group commits again within
  ``FLOW_DEADLINE_SECONDS`` of recovery (``flow.FlowSampler``), and an NPO left
  waiting by the outage and one created after recovery (both behind the outage's
  backlog, under load) are COMPLETE within ``FLOW_BACKLOG_DEADLINE_SECONDS``
  (asserted where the fault says so, measured always).

Every check runs even when an earlier one fails; the test then fails with all of
them, the figures and the tails of the API's and the worker's output.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from adapters.resilience import OUTAGE_ANSWER_BOUND_SECONDS
from adapters.settings import Settings
from commands.identity.application import IdentityApplication
from commands.onboarding.application import OnboardingApplication
from tests.faults.deployment import Deployment
from tests.faults.flow import FlowSampler
from tests.faults.load import (
    Call,
    Client,
    MixedLoad,
    ReadinessProber,
    Recorder,
    User,
    Write,
    create_npo,
    create_offering,
    sign_in,
)
from tests.faults.views import Comparison, ViewsRebuild, describe

# --- The bounds (one place to update) -------------------------------------------------

# A request touching a down backend answers within this (the service's documented
# bound for failing fast).
BACKEND_FAILURE_BOUND_SECONDS = OUTAGE_ANSWER_BOUND_SECONDS
# How long a query given ``?after=`` waits for its views (Settings' default).
READ_YOUR_WRITES_BOUND_SECONDS: float = Settings.model_fields[
    "read_your_writes_timeout_seconds"
].default
# No request may take longer than the larger of the two plus a margin for a loaded
# 2-core machine.
REQUEST_BOUND_SECONDS = (
    max(BACKEND_FAILURE_BOUND_SECONDS, READ_YOUR_WRITES_BOUND_SECONDS) + 1.0
)
READY_ANSWER_SECONDS = 1.0  # /health/ready answers within this, even during a fault
READY_GRACE_SECONDS = 1.0  # after a stop, before readiness must say so
READY_DEADLINE_SECONDS = 30.0  # 200 again within this of recovery
VIEWS_DEADLINE_SECONDS = 30.0  # views equal to a rebuild within this of recovery
FLOW_DEADLINE_SECONDS = 10.0  # the offering flow's group commits again within this
# NPOs wait behind the outage's backlog (the load goes on creating offerings
# throughout, and the flow handles them in order): COMPLETE within this.
FLOW_BACKLOG_DEADLINE_SECONDS = 30.0
VISIBLE_BUDGET_SECONDS = 15.0  # reading every acknowledged write back, at most

WARM_UP_SECONDS = 4.0  # load before the fault
LOAD_AFTER_RECOVERY_SECONDS = 6.0  # load after recovery, at least

# Statuses a request may answer under a fault.
TOLERATED_ERRORS = {503, 504}


@dataclass(frozen=True)
class Fault:
    """What is stopped and started again: a server (``backend`` is what readiness
    calls it) or a process of the deployment (``backend`` None)."""

    name: str
    outage_seconds: float
    stop: Callable[[], None]
    start: Callable[[], None]
    backend: str | None = None
    # Whether the offering flow must resume within the deadline (else measured only).
    flow_must_resume: bool = False
    # Whether the API itself is down (no answers, no readiness, during the fault).
    api_down: bool = False


@dataclass
class Timeline:
    stopping: float = 0.0  # stop began
    stopped: float = 0.0  # stop returned: the backend is down
    starting: float = 0.0  # start began
    back: float = 0.0  # start returned: the backend answers again


@dataclass
class Report:
    """The figures of one fault, and every check that failed."""

    fault: Fault
    timeline: Timeline = field(default_factory=Timeline)
    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (check, what)

    def fail(self, check: str, what: str) -> None:
        self.failures.append((check, what))

    def check(self, name: str, problems: Iterable[str], limit: int = 6) -> None:
        found = list(problems)
        if found:
            shown = "\n".join(f"    {p}" for p in found[:limit])
            more = (
                f"\n    … and {len(found) - limit} more" if len(found) > limit else ""
            )
            self.fail(name, f"{len(found)} time(s):\n{shown}{more}")

    def summary(self) -> str:
        return "\n".join(f"FAILED {check}: {what}" for check, what in self.failures)

    def since_back(self, moment: float | None) -> float | None:
        return None if moment is None else round(moment - self.timeline.back, 2)

    def json_line(self) -> str:
        line = {
            "fault": self.fault.name,
            "outage_seconds": round(self.timeline.starting - self.timeline.stopped, 2),
            "restart_seconds": round(self.timeline.back - self.timeline.starting, 2),
            **self.figures,
            "failed_checks": [check for check, _ in self.failures],
        }
        return json.dumps(line, sort_keys=False)


@dataclass
class FaultWorld:
    """What a fault test runs against: the deployment and where to print."""

    deployment: Deployment
    rebuild_redis_url: str
    echo: Callable[[str], None]


def run_fault(world: FaultWorld, fault: Fault) -> Report:
    """Run ``fault`` under load and check everything; the report of what failed."""
    deployment = world.deployment
    base_url = deployment.base_url
    report = Report(fault)
    t = report.timeline
    recorder = Recorder()
    load = MixedLoad(base_url, recorder)
    flow_user = sign_in(base_url, recorder, "flow")
    flow = FlowSampler(deployment.settings())
    world.echo(f"[{fault.name}] load of {len(load.users)} clients; warming up")
    with ReadinessProber(base_url) as prober, ThreadPoolExecutor(1) as pool:
        flow.start()
        load.start()
        try:
            time.sleep(WARM_UP_SECONDS)
            t.stopping = time.monotonic()
            try:
                fault.stop()
                t.stopped = time.monotonic()
                world.echo(f"[{fault.name}] stopped; down for {fault.outage_seconds}s")
                # An NPO the outage leaves waiting: the flow has resumed once it
                # is COMPLETE.
                waiting = None if fault.api_down else _npo_with_offering(flow_user)
                time.sleep(
                    max(0.0, t.stopped + fault.outage_seconds - time.monotonic())
                )
            finally:
                t.starting = time.monotonic()
                fault.start()
                t.back = time.monotonic()
            world.echo(f"[{fault.name}] back after {t.back - t.starting:.1f}s")
            # Readiness and the offering flow are watched beside the views.
            recovered = pool.submit(
                _recovered, prober, t.back, flow, flow_user, waiting
            )
            time.sleep(
                max(0.0, t.back + LOAD_AFTER_RECOVERY_SECONDS - time.monotonic())
            )
        finally:
            load.stop()
        world.echo(f"[{fault.name}] load stopped; comparing views with a rebuild")
        views_equal, comparison, rebuild = _views_equal(world, t.back)
        ready, flow_moved, flow_resumed, flow_done = recovered.result()
        flow.stop()
    try:
        users = [*load.users, flow_user]
        lost, visible = lost_writes(deployment.settings(), recorder.calls, users)
    finally:
        load.close()
        flow_user.client.close()

    calls = recorder.calls
    _check_answers(report, calls)
    _check_latency(report, calls)
    _check_readiness(report, prober, ready)
    _check_flow(report, flow_moved, flow_resumed, flow_done)
    report.figures["views_equal_after_seconds"] = report.since_back(views_equal)
    report.figures["views_compared"] = rebuild
    report.figures["cache_entries_missing"] = comparison.cache_entries_missing
    if views_equal is None or views_equal - t.back > VIEWS_DEADLINE_SECONDS:
        when = (
            "never"
            if views_equal is None
            else f"only after {views_equal - t.back:.1f}s"
        )
        report.fail(
            f"views equal to a rebuild within {VIEWS_DEADLINE_SECONDS:.0f}s",
            f"{when}\n{describe(comparison)}",
        )
    acknowledged = [c for c in calls if c.acknowledged]
    report.figures["acknowledged_writes"] = len(acknowledged)
    report.figures["writes_missing_from_log"] = len(lost)
    report.figures["writes_not_shown"] = len(visible)
    report.check("no acknowledged write lost (event store)", lost)
    report.check("every acknowledged write visible through the API", visible)
    world.echo(report.json_line())
    return report


def _recovered(
    prober: ReadinessProber,
    back: float,
    flow: FlowSampler,
    user: User,
    waiting: str | None,
) -> tuple[float | None, float | None, FlowResult | None, FlowResult]:
    """When readiness said 200 again; when the offering flow's group committed
    again; when the NPO the outage left ``waiting`` was COMPLETE; then the flow of
    an NPO created once ready."""
    moved = flow.moved_after(back, back + FLOW_DEADLINE_SECONDS)
    resumed = (
        None
        if waiting is None
        else _until_complete(user, waiting, back, back + FLOW_BACKLOG_DEADLINE_SECONDS)
    )
    ready = _wait_for_ready(prober, back)
    return ready, moved, resumed, _offering_flow(user)


def _wait_for_ready(prober: ReadinessProber, back: float) -> float | None:
    """When readiness first answered 200 after recovery (None: not by the deadline)."""
    deadline = back + READY_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        probe = prober.first_ready_after(back)
        if probe is not None:
            return probe.started + probe.seconds
        time.sleep(0.1)
    return None


@dataclass(frozen=True)
class FlowResult:
    created: float  # the offering was acknowledged (or the attempt gave up)
    complete: float | None  # the NPO was seen COMPLETE
    why: str = ""


def _until_accepted(write: Callable[[], Call], deadline: float) -> Call:
    """A write, tried again after a 503 (as its Retry-After asks, at most 1 s)
    until ``deadline``: a client's first write after an outage may still be
    refused."""
    while True:
        call = write()
        if call.status != 503 or time.monotonic() >= deadline:
            return call
        try:
            pause = float(call.retry_after or 1)
        except ValueError:
            pause = 1.0
        time.sleep(min(max(pause, 0.1), 1.0))


def _npo_with_offering(user: User) -> str | None:
    """An NPO and its first offering (the offering starts the NPO's flow); the
    NPO's id, or None when either was refused."""
    if not create_npo(user).acknowledged:
        return None
    npo_id = user.npos[-1]
    return npo_id if create_offering(user, npo_id).acknowledged else None


def _offering_flow(user: User) -> FlowResult:
    """An NPO and its first offering, then how long until the NPO is COMPLETE."""
    deadline = time.monotonic() + FLOW_BACKLOG_DEADLINE_SECONDS
    npo = _until_accepted(lambda: create_npo(user), deadline)
    if not npo.acknowledged:
        return FlowResult(time.monotonic(), None, f"creating the NPO: {npo.describe()}")
    npo_id = user.npos[-1]
    created = _until_accepted(lambda: create_offering(user, npo_id), deadline)
    at = time.monotonic()
    if not created.acknowledged:
        return FlowResult(at, None, f"creating the offering: {created.describe()}")
    return _until_complete(user, npo_id, at, at + FLOW_BACKLOG_DEADLINE_SECONDS)


def _until_complete(user: User, npo_id: str, at: float, deadline: float) -> FlowResult:
    """Read the NPO until it is COMPLETE or ``deadline``; timed from ``at``."""
    seen = ""
    while time.monotonic() < deadline:
        call, body = user.client.request(
            "GET", "/npos/{id}", f"/npos/{npo_id}", params=user.after("onboarding")
        )
        if body is not None:
            seen = str(body.get("registration_status"))
            if seen == "COMPLETE":
                return FlowResult(at, time.monotonic())
        else:
            seen = call.describe()
        time.sleep(0.1)
    return FlowResult(at, None, f"last seen: {seen}")


def _views_equal(
    world: FaultWorld, back: float
) -> tuple[float | None, Comparison, list[str]]:
    rebuild = ViewsRebuild(world.deployment.settings(), world.rebuild_redis_url)
    try:
        deadline = back + VIEWS_DEADLINE_SECONDS
        while True:
            comparison = rebuild.compare()
            if comparison.equal:
                return time.monotonic(), comparison, rebuild.names
            if time.monotonic() >= deadline:
                return None, comparison, rebuild.names
            time.sleep(0.5)
    finally:
        rebuild.close()


# --- The checks -----------------------------------------------------------------------


def _during_api_outage(report: Report, call: Call) -> bool:
    """Whether the call was under way while the API was down."""
    t = report.timeline
    under_way = call.started <= t.back and call.started + call.seconds >= t.stopping
    return report.fault.api_down and under_way


def _check_answers(report: Report, calls: list[Call]) -> None:
    report.figures["requests"] = len(calls)
    report.figures["statuses"] = dict(
        sorted(_count(str(c.status) for c in calls).items())
    )
    report.check(
        "no 500 anywhere",
        (c.describe() for c in calls if c.status >= 500 and c.status not in {503, 504}),
    )
    report.check(
        "every 503 carries Retry-After and a backend member",
        (
            f"{c.describe()}: Retry-After {c.retry_after!r}, problem {c.problem!r}"
            for c in calls
            if c.status == 503
            and not (c.retry_after and c.problem and c.problem.get("backend"))
        ),
    )
    report.check(
        "every request answered 2xx, 503 or 504",
        (
            f"{c.describe()} {c.problem or ''}"
            for c in calls
            if not (200 <= c.status < 300 or c.status in TOLERATED_ERRORS)
            and c.status < 500
            and not _during_api_outage(report, c)
        ),
    )


def _count(items: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _check_latency(report: Report, calls: list[Call]) -> None:
    worst = max(calls, key=lambda c: c.seconds)
    ordered = sorted(c.seconds for c in calls)
    report.figures["worst_latency_seconds"] = round(worst.seconds, 3)
    report.figures["worst_request"] = f"{worst.method} {worst.route} {worst.status}"
    report.figures["p99_latency_seconds"] = round(
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3
    )
    report.figures["request_bound_seconds"] = REQUEST_BOUND_SECONDS
    report.check(
        f"no request longer than {REQUEST_BOUND_SECONDS}s",
        (
            c.describe()
            for c in sorted(calls, key=lambda c: -c.seconds)
            if c.seconds > REQUEST_BOUND_SECONDS
        ),
    )


def _check_readiness(
    report: Report, prober: ReadinessProber, ready: float | None
) -> None:
    t, fault = report.timeline, report.fault
    report.figures["ready_after_seconds"] = report.since_back(ready)
    if ready is None:
        report.fail(
            f"readiness 200 within {READY_DEADLINE_SECONDS:.0f}s of recovery",
            "it never answered 200",
        )
    if fault.api_down:
        return
    during = list(prober.between(t.stopping, t.back))
    report.figures["readiness_worst_seconds_during_fault"] = round(
        max((p.seconds for p in during), default=0.0), 3
    )
    report.check(
        f"readiness answers within {READY_ANSWER_SECONDS}s during the fault",
        (
            f"at +{p.started - t.stopped:.1f}s: {p.status or 'no answer'} in "
            f"{p.seconds:.2f}s"
            for p in during
            if p.seconds > READY_ANSWER_SECONDS or p.status == 0
        ),
    )
    if fault.backend is None:
        return
    report.check(
        f"readiness 503 naming {fault.backend} while it is down",
        (
            f"at +{p.started - t.stopped:.1f}s: {p.status} naming {sorted(p.down)}"
            for p in prober.between(t.stopped + READY_GRACE_SECONDS, t.starting)
            # (a probe still under way when the server came back may find it up)
            if p.started + p.seconds <= t.starting
            and (p.status != 503 or fault.backend not in p.down)
        ),
    )


def _check_flow(
    report: Report,
    moved: float | None,
    resumed: FlowResult | None,
    flow: FlowResult,
) -> None:
    must = report.fault.flow_must_resume
    report.figures["offering_flow_moved_after_seconds"] = report.since_back(moved)
    if must and moved is None:
        report.fail(
            f"the offering flow resumes within {FLOW_DEADLINE_SECONDS:.0f}s",
            "its consumer group committed nothing more in time",
        )
    if resumed is not None:
        report.figures["offering_flow_waiting_after_seconds"] = report.since_back(
            resumed.complete
        )
        if must and resumed.complete is None:
            report.fail(
                "an NPO the outage left waiting is COMPLETE within "
                f"{FLOW_BACKLOG_DEADLINE_SECONDS:.0f}s",
                f"it is not ({resumed.why})",
            )
    took = None if flow.complete is None else round(flow.complete - flow.created, 2)
    report.figures["offering_flow_seconds"] = took
    report.figures["offering_flow_after_seconds"] = report.since_back(flow.complete)
    if flow.why:
        report.figures["offering_flow_problem"] = flow.why
    if must and flow.complete is None:
        report.fail(
            "an NPO created after recovery is COMPLETE within "
            f"{FLOW_BACKLOG_DEADLINE_SECONDS:.0f}s",
            f"it is not ({flow.why})",
        )


# --- Acknowledged writes --------------------------------------------------------------


def lost_writes(
    settings: Settings, calls: list[Call], users: list[User]
) -> tuple[list[str], list[str]]:
    """Acknowledged writes missing from the event store, and those the API does not
    show."""
    from adapters.bootstrap import build_container

    container = build_container(settings)
    try:
        return _in_event_store(container.application, calls), _visible(calls, users)
    finally:
        container.close()


def _in_event_store(application: Callable[[Any], Any], calls: list[Call]) -> list[str]:
    identity = application(IdentityApplication)
    onboarding = application(OnboardingApplication)
    missing = []
    phones: dict[str, set[str]] = {}
    for call in calls:
        write = call.write
        if not call.acknowledged or write is None:
            continue
        if write.kind == "profile":
            if write.subject not in phones:
                events = identity.recorder.select_events(uuid.UUID(write.subject))
                phones[write.subject] = {
                    str(getattr(identity.mapper.to_domain_event(e), "phone", None))
                    for e in events
                }
            if write.value not in phones[write.subject]:
                missing.append(f"{call.describe()}: phone {write.value} not in the log")
        elif not onboarding.recorder.select_events(uuid.UUID(write.subject), limit=1):
            missing.append(
                f"{call.describe()}: {write.kind} {write.subject} not in the log"
            )
    return missing


def _visible(calls: list[Call], users: list[User]) -> list[str]:
    """Each acknowledged write read back through the API (with ``?after=``), for at
    most ``VISIBLE_BUDGET_SECONDS``: views that are stuck answer each read with a
    504 after the read-your-writes wait."""
    recorder = Recorder()
    problems: list[str] = []
    deadline = time.monotonic() + VISIBLE_BUDGET_SECONDS
    unchecked = 0
    for user in users:
        client = Client(f"check-{user.client.name}", user.client.base_url, recorder)
        client.headers.update(user.client.headers)
        try:
            for read in _reads_of(client, user, calls):
                if time.monotonic() > deadline:
                    unchecked += 1
                    continue
                problem = read()
                if problem:
                    problems.append(problem)
        finally:
            client.close()
    if unchecked:
        problems.append(
            f"{unchecked} more acknowledged write(s) not read back: the reads took "
            f"over {VISIBLE_BUDGET_SECONDS:.0f}s in all"
        )
    return problems


Read = Callable[[], str | None]  # reads one write back: a problem, or None


def _reads_of(client: Client, user: User, calls: list[Call]) -> list[Read]:
    mine = [c for c in calls if c.client == user.client.name and c.write is not None]
    reads: list[Read] = []
    # The profile: the last acknowledged phone, or one tried after it (its outcome
    # unknown to the client).
    profile = [c for c in mine if c.write is not None and c.write.kind == "profile"]
    acked = [i for i, c in enumerate(profile) if c.acknowledged]
    if acked:
        allowed = {c.write.value for c in profile[acked[-1] :] if c.write is not None}

        def read_me() -> str | None:
            call, body = client.request(
                "GET", "/me", "/me", params=user.after("identity")
            )
            shown = body.get("phone") if body else call.describe()
            if shown in allowed:
                return None
            return f"GET /me shows phone {shown!r}, expected one of {allowed}"

        reads.append(read_me)
    for call in mine:
        write = call.write
        if call.acknowledged and write is not None and write.kind != "profile":
            reads.append(partial(_read_back, client, user, write))
    return reads


def _read_back(client: Client, user: User, write: Write) -> str | None:
    path = "npos" if write.kind == "npo" else "offerings"
    key = "name" if write.kind == "npo" else "title"
    read, body = client.request(
        "GET",
        f"/{path}/{{id}}",
        f"/{path}/{write.subject}",
        params=user.after("onboarding"),
    )
    if body is not None and body.get(key) == write.value:
        return None
    return (
        f"{write.kind} {write.subject} ({write.value!r}): "
        f"{read.describe()} {body.get(key) if body else ''}"
    )
