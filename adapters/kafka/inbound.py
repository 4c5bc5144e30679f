"""Inbound integration events become commands: a consumer over the bus port.

A context declares its handlers (``commands.inbound``); the composition root builds
the consumer that runs them. It works with any ``MessageBus`` (Kafka, or the
in-memory bus when embedded).

For each message, in order:

1. Decode it (``projections.integration_events.decode_message``). A message that is
   not an integration event is poison: parked at once.
2. Find the handler for its event type; a type nobody here handles is skipped.
3. In **one transaction** of the relational store, claim (consumer, source, position,
   event type) in ``processed_messages`` (``adapters.kafka.dedup``) and run the
   handler, which turns the message into a command. A claim that already exists
   means the message was handled before (a redelivery, a replay, a second consumer
   group): the handler is not called. A handler that raises rolls the claim back.
4. After every message of a poll is done, commit the group's offsets. A crash before
   that redelivers the batch; step 3 absorbs it.

The window left is a crash after the command saved its events and before the claim
committed: the handler runs again on redelivery. Handlers close it by making the
command idempotent, e.g. creating aggregates with ``IntegrationEvent.derived_id`` and
treating "it already exists" as done.

Failures (``classify_error``):

- ``PARK``: poison. Undecodable messages, ``PoisonMessageError``, and domain refusals
  (a ``DomainError``: the same command would be refused again). The message goes to
  ``<topic>.dlq`` with its original key, value and headers plus ``dlq-*`` headers
  giving the reason, then counts as done.
- ``RETRY``: anything else (a bug, a concurrency conflict): retried with back-off up to
  ``max_attempts`` times, then parked like poison.
- ``WAIT``: the infrastructure is down (``ports.errors.is_outage``: event store,
  views database, broker; or a handler's ``UnavailableError``): retried for ever with
  back-off capped at ``max_retry_delay_seconds`` (5 s), never parked, so an outage
  does not empty a topic into its dead-letter queue and the consumer carries on
  within seconds of the backend's return.

``InboundConsumer.run()`` loops until ``stop()``; ``start()`` runs it in a daemon
thread (the API process), and a CLI worker calls ``run()`` directly. Nothing ends the
loop but ``stop()``: an error escaping it is logged in one line, counted
(``InboundStats.restarts``) and the loop starts again after a back-off.
``InboundStats.last_progress_at`` says when it last got anywhere (a poll done, a
message done): a consumer waiting out an outage, or stuck, stops moving it.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from adapters.kafka.dedup import claim, ensure_processed_messages_schema
from commands.base import ConcurrencyConflictError
from commands.inbound import InboundHandlers, PoisonMessageError
from domain.base import DomainError, UnavailableError
from ports.correlation import correlated
from ports.errors import is_outage
from ports.messages import Message, MessageBus, MessageConsumer
from ports.relational import RelationalStore
from projections.diagnostics import error_summary
from projections.integration_events import (
    HEADER_CORRELATION_ID,
    UndecodableMessageError,
    decode_message,
)

logger = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"
HEADER_DLQ_REASON = "dlq-reason"
HEADER_DLQ_ERROR = "dlq-error"
HEADER_DLQ_CONSUMER = "dlq-consumer"
HEADER_DLQ_TOPIC = "dlq-topic"
HEADER_DLQ_PARTITION = "dlq-partition"
HEADER_DLQ_OFFSET = "dlq-offset"
HEADER_DLQ_ATTEMPTS = "dlq-attempts"


class Disposition(enum.Enum):
    PARK = "park"
    RETRY = "retry"
    WAIT = "wait"


# The longest wait between two tries of a message whose backend is down: the
# consumer carries on at most this long after the backend is back.
MAX_RETRY_DELAY_SECONDS = 5.0


def classify_error(error: BaseException) -> Disposition:
    if isinstance(error, PoisonMessageError | UndecodableMessageError):
        return Disposition.PARK
    # A refusal that says "not now", not "never", waits like an outage.
    if isinstance(error, UnavailableError) or is_outage(error):
        return Disposition.WAIT
    if isinstance(error, ConcurrencyConflictError):
        return Disposition.RETRY
    if isinstance(error, DomainError):
        return Disposition.PARK
    return Disposition.RETRY


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


@dataclass
class InboundStats:
    """What a consumer has done since it started (for status and tests)."""

    handled: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    retries: int = 0
    last_error: str | None = None
    # Whether its loop runs (between ``run()``'s start and its end).
    running: bool = False
    # How often an error escaped the loop and it started over.
    restarts: int = 0
    # When it last got anywhere, in seconds since the epoch (``time.time()``): a
    # poll done (messages committed, or none waiting) or a message done. None
    # before the first. A running consumer whose progress is old is stalled
    # (waiting out an outage, or stuck).
    last_progress_at: float | None = None

    @property
    def done(self) -> int:
        return self.handled + self.duplicates + self.ignored + self.dead_lettered


class InboundStoppedError(Exception):
    """``stop()`` was called before a message was done; it was not committed."""


class InboundConsumer:
    """A member of consumer group ``group_id`` that turns messages into commands.

    ``name`` scopes deduplication: a replay under another ``group_id`` with the same
    name has no second effect. Use one name per purpose (handler set).
    """

    def __init__(
        self,
        name: str,
        topics: Sequence[str],
        handlers: InboundHandlers,
        *,
        store: RelationalStore,
        bus: MessageBus,
        group_id: str | None = None,
        max_attempts: int = 5,
        retry_delay_seconds: float = 0.2,
        max_retry_delay_seconds: float = MAX_RETRY_DELAY_SECONDS,
        poll_timeout_seconds: float = 1.0,
        batch_size: int = 100,
        classify: Callable[[BaseException], Disposition] = classify_error,
    ) -> None:
        if not topics:
            raise ValueError("an inbound consumer needs at least one topic")
        self.name = name
        self.topics = tuple(topics)
        self.handlers = dict(handlers)
        self.store = store
        self.bus = bus
        self.group_id = group_id or name
        self.max_attempts = max_attempts
        self.retry_delay_seconds = retry_delay_seconds
        self.max_retry_delay_seconds = max_retry_delay_seconds
        self.poll_timeout_seconds = poll_timeout_seconds
        self.batch_size = batch_size
        self.classify = classify
        self._consumer: MessageConsumer | None = None
        self._schema_ready = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._stats = InboundStats()
        self._changed = threading.Condition()

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        """Run in a daemon thread of this process (the API process)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self.run, name=f"inbound-{self.name}", daemon=True
        )
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the loop to end without waiting (to stop several at once)."""
        self._stopping.set()

    def stop(self, timeout_seconds: float = 10) -> None:
        """End the loop and wait; uncommitted messages are delivered again later."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_seconds)
            if not thread.is_alive():
                self._thread = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self) -> None:
        """Poll, handle and commit until ``stop()``; survives outages, and starts
        over when anything escapes its loop."""
        self._set_running(True)
        crashes = 0
        try:
            while not self._stopping.is_set():
                try:
                    self._poll_until_stopped()
                except Exception as error:  # noqa: BLE001 - logged, counted, restarted
                    crashes += 1
                    self._crashed(error, crashes)
        finally:
            self._disconnect()
            self._set_running(False)

    def _poll_until_stopped(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self.poll_once()
                failures = 0
            except InboundStoppedError:
                return
            except Exception as error:  # noqa: BLE001 - reconnect and go on
                failures += 1
                self._note_error(error)
                logger.warning(
                    "inbound consumer %s: %s (attempt %d)",
                    self.name,
                    error_summary(error),
                    failures,
                )
                self._disconnect()
                self._stopping.wait(self._delay(failures))

    def _crashed(self, error: Exception, crashes: int) -> None:
        delay = self._delay(crashes)
        with self._changed:
            self._stats.restarts += 1
            restarts = self._stats.restarts
            self._changed.notify_all()
        # One line, type and first line only: a traceback's messages may quote data.
        logger.error(
            "inbound consumer %s crashed (restart %d in %.1f s): %s",
            self.name,
            restarts,
            delay,
            error_summary(error),
        )
        self._disconnect()
        self._stopping.wait(delay)

    # -- one poll -----------------------------------------------------------------

    def poll_once(self) -> int:
        """Handle the next poll's messages, then commit; returns how many.

        Raises ``InboundStoppedError`` when ``stop()`` interrupts a message.
        """
        consumer = self._connected()
        messages = consumer.poll(self.poll_timeout_seconds, self.batch_size)
        for message in messages:
            self._process(message)
        if messages:
            consumer.commit()
        self._progressed()
        return len(messages)

    def _connected(self) -> MessageConsumer:
        if not self._schema_ready:
            ensure_processed_messages_schema(self.store)
            self._schema_ready = True
        if self._consumer is None:
            self._consumer = self.bus.consumer(self.topics, self.group_id)
        return self._consumer

    def _disconnect(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                consumer.close()
            except Exception:  # it is going away anyway
                logger.debug("closing consumer %s failed", self.name, exc_info=True)

    # -- one message ----------------------------------------------------------------

    def _process(self, message: Message) -> None:
        # Log lines about the message carry its correlation id.
        with correlated(message.headers.get(HEADER_CORRELATION_ID)):
            self._process_correlated(message)

    def _process_correlated(self, message: Message) -> None:
        attempts = 0
        waits = 0
        while True:
            if self._stopping.is_set():
                raise InboundStoppedError
            try:
                self._handle(message)
                return
            except InboundStoppedError:
                raise
            except Exception as error:  # noqa: BLE001 - classified below
                disposition = self.classify(error)
                self._note_error(error)
                if disposition is Disposition.WAIT:
                    waits += 1
                    # Once per outage, not once per try: it may last a while.
                    logger.log(
                        logging.WARNING if waits == 1 else logging.DEBUG,
                        "inbound %s: infrastructure down, waiting: %s",
                        self.name,
                        error_summary(error),
                    )
                    self._stopping.wait(self._delay(waits))
                    continue
                attempts += 1
                if disposition is Disposition.PARK or attempts >= self.max_attempts:
                    self._park(message, error, attempts)
                    return
                self._bump("retries")
                self._stopping.wait(self._delay(attempts))

    def _handle(self, message: Message) -> None:
        event = decode_message(message)
        handler = self.handlers.get(event.event_type)
        if handler is None:
            self._bump("ignored")
            return
        with self.store.transaction() as session:
            first_time = claim(session, self.name, event)
            if first_time:
                handler(event)
        if first_time:
            self._bump("handled")
        else:
            self._bump("duplicates")

    def _park(self, message: Message, error: BaseException, attempts: int) -> None:
        """Publish to the dead-letter topic; wait for the broker if it is down."""
        headers = {
            **message.headers,
            HEADER_DLQ_REASON: error_summary(error),
            HEADER_DLQ_ERROR: type(error).__name__,
            HEADER_DLQ_CONSUMER: self.name,
            HEADER_DLQ_TOPIC: message.topic,
            HEADER_DLQ_PARTITION: str(message.partition),
            HEADER_DLQ_OFFSET: str(message.offset),
            HEADER_DLQ_ATTEMPTS: str(attempts),
        }
        waits = 0
        while True:
            if self._stopping.is_set():
                raise InboundStoppedError
            try:
                self.bus.publish(
                    dead_letter_topic(message.topic),
                    message.key,
                    message.value,
                    headers,
                )
                break
            except Exception as publish_error:  # noqa: BLE001 - retried for ever
                waits += 1
                self._note_error(publish_error)
                self._stopping.wait(self._delay(waits))
        logger.error(
            "inbound %s parked %s[%d]@%d: %s",
            self.name,
            message.topic,
            message.partition,
            message.offset,
            headers[HEADER_DLQ_REASON],
        )
        self._bump("dead_lettered")

    # -- status ---------------------------------------------------------------------

    @property
    def stats(self) -> InboundStats:
        """A snapshot."""
        with self._changed:
            return replace(self._stats)

    def wait_for(
        self, predicate: Callable[[InboundStats], bool], timeout_seconds: float
    ) -> bool:
        """Block until ``predicate(stats)`` holds (woken per message) or timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: predicate(replace(self._stats)), timeout=timeout_seconds
            )

    def _bump(self, counter: str) -> None:
        with self._changed:
            setattr(self._stats, counter, getattr(self._stats, counter) + 1)
            if counter != "retries":
                self._stats.last_progress_at = time.time()
            self._changed.notify_all()

    def _progressed(self) -> None:
        with self._changed:
            self._stats.last_progress_at = time.time()
            self._changed.notify_all()

    def _set_running(self, running: bool) -> None:
        with self._changed:
            self._stats.running = running
            self._changed.notify_all()

    def _note_error(self, error: BaseException) -> None:
        with self._changed:
            message = error_summary(error)
            self._stats.last_error = message
            self._changed.notify_all()

    def _delay(self, attempt: int) -> float:
        exponent = min(max(attempt - 1, 0), 30)  # waits for ever: no overflow
        return float(
            min(self.retry_delay_seconds * 2**exponent, self.max_retry_delay_seconds)
        )
