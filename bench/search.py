"""Offering search on real PostgreSQL: search latency against a plain ``ILIKE`` scan,
and the time from an offering being published to being found.

    python -m bench.search --offerings 100000

Runs the composed container in process against real PostgreSQL (a fresh database,
dropped at the end), FerretDB, Redis, Kafka and S3.

- *Seeding*: ``--offerings`` offerings of 1,000 approved NPOs are written into the
  search view's tables in bulk through the view's own writer
  (``SearchIndexWriter.offerings_published``, as the projection writes one), not
  through commands: generated titles, summaries and descriptions over a vocabulary
  of a few thousand words.
- *Search*: ``--queries`` searches of one or two words (half of career words, each
  in about a fifth of the offerings; half of rare words), half with a typo, a third
  with a filter, through the port (``container.offering_search``): p50/p99. The
  baseline runs the same searches (``--baseline-queries`` of them, half of each
  kind: a scan takes about a second) as a plain ``ILIKE`` scan of the same table
  (each word as typed, over title, NPO name, summary and description; a page and a
  count).
- *Browse*: ``--queries`` / 10 searches without text (newest first, a third
  filtered), against the same plain SQL without the facets.
- *Publish → found*: ``--published`` offerings created one at a time through
  ``CreateOffering`` for an NPO approved through the commands; from just before the
  command until a search for its title's unique word finds it (the engine woken by
  the command). Baseline: until the offering's document (MongoDB view) is readable.

Prints a table, then one JSON line of the figures (milliseconds).
"""

# The baseline's SQL names the view's table (code); values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from rich.console import Console
from rich.table import Table

from adapters.bootstrap import Container, build_container
from adapters.postgres.database import temporary_database
from adapters.s3.blobs import S3BlobStore
from adapters.settings import Settings
from bench.onboarding_flow import (
    KAFKA,
    MONGO_URL,
    POSTGRES_URL,
    REDIS_URL,
    S3,
    BenchLeaders,
    profile,
)
from bench.replay_figures import percentile
from commands.base import Actor
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddLeader,
    ApproveNpo,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    RecordOffering,
    RecordVerification,
    SetPolicy,
)
from domain.onboarding.npo import VerificationStatus
from domain.onboarding.offering_content import OfferingContent, OfferingLocation
from domain.tagging import CATEGORIES_OF_NEED
from ports.offering_search import OfferingQuery
from projections.contracts import ViewNames
from projections.engine import live_names
from projections.onboarding.offering_search import (
    OFFERINGS,
    SEARCH_PROJECTION,
    IndexedContent,
    IndexedOffering,
    writer_for,
)
from projections.onboarding.offerings import OFFERINGS_PROJECTION
from projections.onboarding.search_text import query_terms

_CAREER_TEXT = (
    "resume writing interview preparation coaching mentoring apprenticeship "
    "training program college university registration childcare daycare housing "
    "rent grocery meals attire business career change skills workshop clinic "
    "welding carpentry plumbing electrician nursing coding python javascript data "
    "analytics marketing sales customer service retail hospitality warehouse "
    "logistics driving license forklift certification networking linkedin portfolio "
    "negotiation salary confidence public speaking leadership volunteer internship "
    "scholarship financial literacy budgeting credit counseling legal aid language "
    "english spanish literacy math tutoring veterans refugees youth seniors women "
    "reentry disability accessibility remote online evening weekend free discounted"
)
CAREER_WORDS = _CAREER_TEXT.split()
COUNTRIES = ("US", "CA", "GB", "NG", "IN", "MX", "DE", "BR")
REGIONS = ("Bay Area", "Lagos", "Ontario", "Texas", "London", "Bavaria", "Delhi")
NPOS = 1000
BATCH = 5000


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    """Career words and made-up ones, so the index holds thousands of words."""
    syllables = [
        "ka",
        "lo",
        "mi",
        "ne",
        "ra",
        "su",
        "ti",
        "vo",
        "wen",
        "dar",
        "bel",
        "cor",
        "fin",
        "gra",
        "hol",
        "jun",
        "mar",
        "pel",
    ]
    made_up = {
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        for _ in range(size)
    }
    return CAREER_WORDS + sorted(made_up)


def sentence(rng: random.Random, words: list[str], count: int) -> str:
    # Career words are common, made-up words rare (a long tail, as in real text).
    chosen = [
        rng.choice(CAREER_WORDS) if rng.random() < 0.6 else rng.choice(words)
        for _ in range(count)
    ]
    return " ".join(chosen).capitalize()


def seed(
    container: Container, count: int, rng: random.Random
) -> tuple[float, list[str]]:
    """``count`` offerings of ``NPOS`` approved NPOs, in bulk; seconds taken, and
    the made-up words (the rare ones)."""
    words = vocabulary(rng)
    categories = list(CATEGORIES_OF_NEED)
    started = time.perf_counter()
    with container.views.transaction() as session:
        names = live_names(session, SEARCH_PROJECTION)
        writer = writer_for(session, names)
        npo_ids = [str(uuid.uuid4()) for _ in range(NPOS)]
        for npo_id in npo_ids:
            writer.npo_registered(session, npo_id, sentence(rng, words, 3))
            writer.npo_approved(session, npo_id)
    for start in range(0, count, BATCH):
        batch = []
        for n in range(start, min(count, start + BATCH)):
            remote = rng.random() < 0.5
            content = OfferingContent.of(
                title=sentence(rng, words, rng.randint(2, 5)),
                summary=sentence(rng, words, rng.randint(6, 12)),
                description_html=f"<p>{sentence(rng, words, rng.randint(15, 40))}</p>",
                categories=rng.sample(categories, rng.randint(1, 2)),
                tags=rng.sample(CAREER_WORDS, 2),
                location=OfferingLocation(
                    region=rng.choice(REGIONS),
                    country=rng.choice(COUNTRIES),
                    remote=remote,
                    address=None if remote and rng.random() < 0.8 else "1 Main St",
                ),
            )
            batch.append(
                IndexedOffering(
                    offering_id=str(uuid.uuid4()),
                    npo_id=npo_ids[n % NPOS],
                    content=IndexedContent.of(content),
                    published_at=f"2026-01-01T00:00:00.{n:06d}+00:00",
                )
            )
        with container.views.transaction() as session:
            writer_for(session, names).offerings_published(session, batch)
    with container.views.transaction() as session:
        session.execute(f"ANALYZE {names.table(OFFERINGS.base)}")
    return time.perf_counter() - started, words[len(CAREER_WORDS) :]


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return (
        word[:i] + word[i + 1 :]
        if rng.random() < 0.5
        else word[:i] + word[i] + word[i:]
    )


def queries(rng: random.Random, count: int, pool: list[str]) -> list[OfferingQuery]:
    """Searches of one or two words of ``pool`` (none if it is empty)."""
    found = []
    for _ in range(count):
        terms = [rng.choice(pool) for _ in range(rng.randint(1, 2))] if pool else []
        if rng.random() < 0.5:
            terms = [typo(rng, t) for t in terms]
        filters: dict[str, object] = {}
        pick = rng.random()
        if pick < 0.1:
            filters["categories"] = (rng.choice(list(CATEGORIES_OF_NEED)),)
        elif pick < 0.2:
            filters["country"] = rng.choice(COUNTRIES)
        elif pick < 0.3:
            filters["format"] = "online"
        text = " ".join(terms) or None
        found.append(OfferingQuery(text=text, **filters))  # type: ignore[arg-type]
    return found


def ilike_baseline(
    container: Container, names: ViewNames
) -> Callable[[OfferingQuery], int]:
    table = names.table(OFFERINGS.base)

    def run(query: OfferingQuery) -> int:
        clauses, params = ["visible = 1"], []
        for term in query_terms(query.text):
            clauses.append(
                "(title ILIKE %s OR npo_name ILIKE %s OR summary ILIKE %s "
                "OR w_body ILIKE %s)"
            )
            params.extend([f"%{term}%"] * 4)
        if query.country:
            clauses.append("country = %s")
            params.append(query.country)
        if query.format:
            clauses.append("format IN ('online', 'either')")
        if query.categories:
            clauses.append(
                f"EXISTS (SELECT 1 FROM {names.table('srch_offering_categories')} c "
                f"WHERE c.offering_id = {table}.offering_id AND c.category = %s)"
            )
            params.append(query.categories[0])
        where = " AND ".join(clauses)
        with container.views.transaction() as session:
            rows = session.fetchall(
                f"SELECT offering_id FROM {table} WHERE {where} "
                "ORDER BY published_at DESC LIMIT 21",
                params,
            )
            session.fetchone(f"SELECT count(*) FROM {table} WHERE {where}", params)
        return len(rows)

    return run


def timed(
    run: Callable[[OfferingQuery], object], batch: list[OfferingQuery]
) -> list[float]:
    samples = []
    for query in batch:
        started = time.perf_counter()
        run(query)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def approved_npo(container: Container, owner: Actor) -> str:
    """An NPO registered, verified and approved through the commands."""
    send = container.dispatcher.dispatch
    system = Actor.system("bench")
    admin = Actor(user_id="bench-admin", roles=frozenset({"ADMIN"}), correlation_id="b")
    leader = Actor(
        user_id="leader-0", roles=frozenset({"COMMUNITY_LEADER"}), correlation_id="b"
    )
    send(SetPolicy(actor=admin, leader_npo_cap=10, communities_per_leader=3))
    community = send(
        CreateCommunity(actor=admin, name="Careers", tags=("resume-writing",))
    ).ids[0]
    send(AddLeader(actor=admin, community_id=UUID(community), user_id="leader-0"))
    npo_id = send(CreateNpo(actor=owner, profile=profile())).ids[0]
    first = OfferingContent.of(title="Bench opening", categories=["resume_writing"])
    offering_id = send(
        CreateOffering(actor=owner, npo_id=UUID(npo_id), content=first)
    ).ids[0]
    send(
        RecordOffering(actor=system, npo_id=UUID(npo_id), offering_id=UUID(offering_id))
    )
    send(
        RecordVerification(
            actor=leader, npo_id=UUID(npo_id), status=VerificationStatus.VERIFIED
        )
    )
    send(ApproveNpo(actor=admin, npo_id=UUID(npo_id)))
    return npo_id


def publish_to_found(
    container: Container, owner: Actor, npo_id: str, count: int
) -> tuple[list[float], list[float]]:
    """``count`` offerings timed until found, and ``count`` others (in turn) until
    their document is readable: each wait alone, so neither delays the other."""
    send = container.dispatcher.dispatch
    engine = container.engine
    found_ms: list[float] = []
    document_ms: list[float] = []
    for n in range(2 * count):
        word = f"benchmark{uuid.uuid4().hex[:10]}"
        content = OfferingContent.of(
            title=f"Resume {word}", categories=["resume_writing"]
        )
        started = time.perf_counter()
        result = send(CreateOffering(actor=owner, npo_id=UUID(npo_id), content=content))
        assert result.position is not None
        if n % 2:
            lag = engine.wait_for(
                "onboarding", result.position, [OFFERINGS_PROJECTION], 30
            )
            assert not lag, f"the offering documents are {lag} events behind"
            document_ms.append((time.perf_counter() - started) * 1000)
            continue
        lag = engine.wait_for("onboarding", result.position, [SEARCH_PROJECTION], 30)
        assert not lag, f"the search view is {lag} events behind"
        hits = container.offering_search.search(OfferingQuery(text=word)).hits
        # Earlier offerings' words are similar: this one (exact) ranks first.
        assert hits[0].offering.offering_id == result.ids[0]
        found_ms.append((time.perf_counter() - started) * 1000)
    return found_ms, document_ms


def figures_of(samples: list[float]) -> tuple[float, float]:
    return round(percentile(samples, 50), 2), round(percentile(samples, 99), 2)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offerings", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    # The scan takes about a second a search: it runs on a share of them.
    parser.add_argument("--baseline-queries", type=int, default=100)
    parser.add_argument("--published", type=int, default=100)
    args = parser.parse_args(argv)
    rng = random.Random(10)
    run = uuid.uuid4().hex[:8]
    with (
        temporary_database(POSTGRES_URL, prefix="bench") as database,
        tempfile.TemporaryDirectory() as tmp,
    ):
        settings = Settings(
            data_dir=Path(tmp),
            postgres_url=database,
            mongo_url=MONGO_URL,
            mongo_database=f"bench_search_{run}",
            redis_url=REDIS_URL,
            kafka_bootstrap=KAFKA,
            s3_endpoint=S3,
            s3_bucket=f"bench-search-{run}",
            onboarding_offerings_topic=f"bench-search-offerings-{run}",
        )
        container = build_container(settings)
        assert isinstance(container.blobs, S3BlobStore)
        container.blobs.ensure_bucket()
        container.application(OnboardingApplication).users = BenchLeaders()
        owner = Actor(
            user_id=str(uuid.uuid4()), roles=frozenset({"NPO"}), correlation_id="b"
        )
        try:
            container.start_projections()
            seconds, rare = seed(container, args.offerings, rng)
            with container.views.transaction() as session:
                names = live_names(session, SEARCH_PROJECTION)
            # Broad: career words, each in about a fifth of the offerings;
            # selective: made-up words, each in a few hundred.
            broad = queries(rng, args.queries // 2, CAREER_WORDS)
            selective = queries(rng, args.queries - len(broad), rare)
            batch = broad + selective
            search = container.offering_search.search
            baseline = ilike_baseline(container, names)
            timed(search, batch[:20])  # warm up
            timed(baseline, batch[:5])
            searched = timed(search, batch)
            cut = len(broad)
            share = max(1, args.baseline_queries // 2)
            scanned = timed(baseline, broad[:share] + selective[:share])
            scan_cut = min(share, cut)
            # Browsing: no text, newest first (a third filtered), facets and total
            # over every visible offering.
            browse = queries(rng, max(10, args.queries // 10), [])
            browsed = timed(search, browse)
            browse_scanned = timed(baseline, browse)
            npo_id = approved_npo(container, owner)
            found, documents = publish_to_found(
                container, owner, npo_id, args.published
            )
        finally:
            container.documents.drop("offerings_v1")
            container.close()

    search_p50, search_p99 = figures_of(searched)
    ilike_p50, ilike_p99 = figures_of(scanned)
    kinds = {
        "broad": (figures_of(searched[:cut]), figures_of(scanned[:scan_cut])),
        "selective": (figures_of(searched[cut:]), figures_of(scanned[scan_cut:])),
        "browse": (figures_of(browsed), figures_of(browse_scanned)),
    }
    found_p50, found_p99 = figures_of(found)
    doc_p50, doc_p99 = figures_of(documents)
    table = Table(title=f"Offering search over {args.offerings:,} offerings (ms)")
    for column in ("measure", "p50", "p99", "baseline", "baseline p50", "baseline p99"):
        table.add_column(column, justify="left" if "measure" in column else "right")
    table.add_row(
        f"search ({args.queries} queries)",
        f"{search_p50:.2f}",
        f"{search_p99:.2f}",
        "ILIKE scan",
        f"{ilike_p50:.2f}",
        f"{ilike_p99:.2f}",
    )
    for kind, ((p50, p99), (b50, b99)) in kinds.items():
        table.add_row(
            f"  {kind}",
            f"{p50:.2f}",
            f"{p99:.2f}",
            "plain SQL" if kind == "browse" else "ILIKE scan",
            f"{b50:.2f}",
            f"{b99:.2f}",
        )
    table.add_row(
        f"publish → found ({args.published})",
        f"{found_p50:.2f}",
        f"{found_p99:.2f}",
        "→ document",
        f"{doc_p50:.2f}",
        f"{doc_p99:.2f}",
    )
    Console().print(table)
    Console().print(f"seeded in {seconds:.1f} s (bulk, through the view's writer)")
    print(
        json.dumps(
            {
                "benchmark": "search",
                "offerings": args.offerings,
                "seed_seconds": round(seconds, 1),
                "search_p50_ms": search_p50,
                "search_p99_ms": search_p99,
                "ilike_p50_ms": ilike_p50,
                "ilike_p99_ms": ilike_p99,
                **{
                    f"{kind}_{name}_{pct}_ms": value
                    for kind, (ours, theirs) in kinds.items()
                    for name, pair in (("search", ours), ("ilike", theirs))
                    for pct, value in zip(("p50", "p99"), pair, strict=True)
                },
                "publish_to_found_p50_ms": found_p50,
                "publish_to_found_p99_ms": found_p99,
                "publish_to_document_p50_ms": doc_p50,
                "publish_to_document_p99_ms": doc_p99,
            },
            separators=(",", ":"),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
