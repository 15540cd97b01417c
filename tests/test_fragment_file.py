"""The file that keeps the job lists' JSON out of the heap: what goes in comes back, in order, across rewrites."""

from __future__ import annotations

from pathlib import Path

from pipeline_scheduler.jobs.fragment_file import REWRITE_AFTER, FragmentFile


def test_fragments_come_back_in_the_order_asked_and_rewrites_keep_only_the_live_ones(tmp_path: Path) -> None:
    kept = FragmentFile(tmp_path)
    first, second = kept.append(b'{"a":1}'), kept.append(b'{"b":2}')
    assert [bytes(view) for view in kept.views([second, first])] == [b'{"b":2}', b'{"a":1}']
    assert not kept.wasteful()
    stale = b"x" * (REWRITE_AFTER + 1)
    locations = [kept.append(stale) for _ in range(2)]
    for location in locations:
        kept.forget(location)
    assert kept.wasteful()  # 2 MB stale, 14 bytes live
    moved = kept.rewrite(kept.views([first, second]))
    assert [bytes(view) for view in kept.views(moved)] == [b'{"a":1}', b'{"b":2}']
    assert not kept.wasteful()
    assert kept.append(b"c") == len(b'{"a":1}{"b":2}') << 32 | 1  # the file now ends after the live fragments
    assert list(tmp_path.iterdir()) == []  # unnamed: nothing to clean up, gone with the process
    kept.close()


def test_a_directory_that_cannot_be_written_falls_back_to_the_temporary_directory(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    kept = FragmentFile(blocked / "state")
    assert [bytes(view) for view in kept.views([kept.append(b"ok")])] == [b"ok"]
    kept.close()
