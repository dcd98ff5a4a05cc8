"""The envelope read alone, on stores kept by ``bench.rebuild --keep``: the one-query read of
the log (``TierApplication.placed_envelopes``, ADR 0032 addendum 2) against the three reads
it replaced (``select_notifications``, then ``envelopes``: links and bodies), with and without
``Envelope.model_validate_json`` (each page kept, as the reader keeps it, with the garbage
collector on as before or paused as ``parse_envelopes`` pauses it), and the library's read +
decode; alternated in one process, in CPU seconds, so other work on the machine moves them
less than wall time. The process holds only the applications: a bigger heap (a benchmark's
data, a busy service) makes each collection, and so the pause, worth more.

    python -m bench.rebuild --events 30000 --known-at-runs 0 --keep   # prints the --url
    python -m bench.envelope_read --url URL --rounds 5

``--townships``/``--villages`` must be those the stores were generated with (the defaults of
``bench.rebuild``: 10 × 30). The old and new reads must give the same bytes: checked first.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.generate_county import Shape, write_jurisdiction
from services.init import initialise
from services.integrity import stores
from shared.infrastructure.settings import Settings
from shared.kernel.integration.envelope import Envelope
from shared.kernel.jurisdiction import load
from shared.tier.application import TierApplication
from shared.tier.runtime import parse_envelopes

PAGE = 5000  # as the rebuild reads
Page = list[tuple[int, bytes]]
Read = Callable[[TierApplication, int], Page]
Parse = Callable[[Page], object] | None


def kept(page: Page) -> list[Envelope]:
    """Parsed as ``AppSourceReader.read`` parsed before: the page's envelopes kept, GC on."""
    return [Envelope.model_validate_json(raw) for _, raw in page]


def kept_paused(page: Page) -> list[Envelope]:
    """Parsed as ``AppSourceReader.read`` parses now (``parse_envelopes``: GC paused)."""
    return parse_envelopes(raw for _, raw in page)


def old_read(app: TierApplication, after: int) -> Page:
    notifications = app.recorder.select_notifications(after, PAGE, inclusive_of_start=False)
    return list(
        zip([n.id for n in notifications], app.envelopes(notifications, after), strict=True)
    )


def new_read(app: TierApplication, after: int) -> Page:
    return app.placed_envelopes(after, PAGE, previous_position=after)


def library_read(app: TierApplication, after: int) -> Page:
    notifications = app.recorder.select_notifications(after, PAGE, inclusive_of_start=False)
    for n in notifications:
        app.mapper.to_domain_event(n)
    return [(n.id, b"") for n in notifications]


def read_all(apps: dict[str, TierApplication], read: Read, parse: Parse) -> int:
    events = 0
    for app in apps.values():
        after = 0
        while page := read(app, after):
            if parse is not None:
                parse(page)
            events += len(page)
            after = page[-1][0]
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--townships", type=int, default=10)
    parser.add_argument("--villages", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sanji-envelope-read-"))
    csv = work / "county.csv"
    write_jurisdiction(Shape(townships=args.townships, villages=args.villages, seed=1), csv)
    settings = Settings(
        persistence="postgres",
        postgres_url=args.url,
        data_dir=work / "data",
        jurisdiction_file=csv,
        demo=False,
    )
    initialise(settings, say=False)  # this run's signing key: the stores open only with one
    cases: dict[str, tuple[Read, Parse]] = {
        "library read + decode": (library_read, None),
        "old envelope read, not parsed": (old_read, None),
        "new envelope read, not parsed": (new_read, None),
        "old envelope read, parsed (old reader)": (old_read, kept),
        "new envelope read, parsed with GC on": (new_read, kept),
        "new envelope read, parsed (new reader)": (new_read, kept_paused),
    }
    with stores(settings, load(csv)) as apps:
        for app in apps.values():
            after = 0
            while page := old_read(app, after):
                assert new_read(app, after) == page, f"{app.name} after {after}: reads differ"
                after = page[-1][0]
        rates: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (read, parse) in cases.items():
                c0 = time.process_time()
                events = read_all(apps, read, parse)
                rates[name].append(events / (time.process_time() - c0))
    for name, found in rates.items():
        each = ", ".join(f"{r:,.0f}" for r in found)
        print(f"{name:42s} median {statistics.median(found):9,.0f} events/CPU-s ({each})")


if __name__ == "__main__":
    main()
