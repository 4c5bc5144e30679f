"""The scheduling routes on the composed app against real PostgreSQL, Redis and
Kafka: sign-in, availability, a booking seen over HTTP and on the Kafka topic."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from adapters.bootstrap import build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.scheduling.messages import ScheduleIntroMeeting
from projections.integration_events import decode_message
from projections.scheduling.integration_events import MEETINGS_TOPIC
from tests.support.ics import parse, when
from tests.support.identity import sign_in


def test_a_booking_over_http_and_kafka(
    postgres_url: str, redis_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = Settings(
        postgres_url=postgres_url,
        redis_url=redis_url,
        kafka_bootstrap=kafka_bootstrap,
        data_dir=tmp_path,
    )
    container = build_container(settings)
    consumer = container.bus.consumer([MEETINGS_TOPIC], f"test-{uuid.uuid4().hex}")
    try:
        with TestClient(create_app(container=container)) as client:
            npo, leader = sign_in(client, roles=("NPO",)), sign_in(client)
            for user, zone in ((npo, "Europe/Berlin"), (leader, "America/Denver")):
                response = client.put(
                    "/me/availability",
                    json={
                        "time_zone": zone,
                        "ranges": [
                            {"weekday": d, "start": "08:00", "end": "18:00"}
                            for d in range(5)
                        ],
                    },
                    headers=user.headers,
                )
                assert response.status_code == 200, response.text
            booked = container.dispatcher.dispatch(
                ScheduleIntroMeeting(
                    actor=Actor.system("corr"),
                    request_key=f"real:{uuid.uuid4()}",
                    parties=[[npo.user_id], [leader.user_id]],
                    organiser_id=leader.user_id,
                    title="Introduction",
                    trigger_at=datetime.now(UTC),
                )
            )
            token = booked.consistency_token

            meetings = client.get(f"/me/meetings?after={token}", headers=npo.headers)
            assert meetings.status_code == 200, meetings.text
            (meeting,) = meetings.json()["items"]
            assert meeting["id"] == booked.ids[0]
            notices = client.get(
                f"/me/notifications?after={token}", headers=leader.headers
            )
            (notice,) = notices.json()["items"]
            assert notice["kind"] == "meeting_booked"
            read = client.post(
                f"/me/notifications/{notice['id']}/read", headers=leader.headers
            )
            assert read.status_code == 200
            calendar = client.get("/me/calendar.ics", headers=npo.headers)
            (event,) = parse(calendar.text).all("VEVENT")
            assert when(event.get("DTSTART")) == datetime.fromisoformat(
                meeting["starts_at"]
            )

            # Check the booking left on Kafka, with its attendees (ids only).
            found = None
            deadline = time.monotonic() + 30
            while found is None and time.monotonic() < deadline:
                for message in consumer.poll(1.0):
                    event_in = decode_message(message)
                    if str(event_in.aggregate_id) == booked.ids[0]:
                        found = event_in
            assert found is not None
            assert found.event_type == "scheduling.MeetingBooked"
            assert sorted(found.data["attendee_ids"]) == sorted(
                [npo.user_id, leader.user_id]
            )
    finally:
        consumer.close()
        container.close()
