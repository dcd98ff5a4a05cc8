"""What the relay and the projectors need from a transport: a log of records per topic.

The embedded default is :mod:`shared.infrastructure.transport.memory`; the Kafka implementation offers the
same two roles. Consumers are assigned partitions explicitly and are told where to start:
positions live with the read model, never in the broker (ADR 0001).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


class Producer(Protocol):
    def publish(self, topic: str, key: str, value: bytes) -> None:
        """Queue a record; records with one key keep their order."""

    def flush(self) -> None:
        """Block until every queued record is acknowledged by the broker, or raise."""


class Consumer(Protocol):
    def assign(self, starts: dict[tuple[str, int], int]) -> None:
        """Read each (topic, partition) from the given offset (partitions not named: from 0)."""

    def poll(self, timeout: float) -> list[Record]:
        """Return the next records, waiting up to ``timeout`` seconds for at least one."""

    def close(self) -> None: ...


class Transport(Protocol):
    def producer(self) -> Producer: ...
    def consumer(self, topics: list[str]) -> Consumer: ...
    def close(self) -> None: ...
