"""The file that keeps the job lists' JSON out of the heap: what goes in comes back, in order, across rewrites."""

from __future__ import annotations

from pathlib import Path

from pipeline_scheduler.jobs.fragment_file import MAX_PIECES, REWRITE_AFTER, FragmentFile


def joined(kept: FragmentFile, locations: list[int]) -> bytes:
    return kept.joined(kept.spans(locations), b"[", b"]")


def test_fragments_come_back_in_the_order_asked_in_as_few_spans_as_they_lie(tmp_path: Path) -> None:
    kept = FragmentFile(tmp_path)
    a, b, c = (kept.append(data) for data in (b"a1,", b"b22,", b"c333,"))
    assert kept.spans([a, b, c]) == [(0, 12)]
    assert kept.spans([c, a, b]) == [(7, 12), (0, 7)]
    assert joined(kept, [c, a, b]) == b"[c333,a1,b22,]"
    assert joined(kept, []) == b"[]"
    assert list(tmp_path.iterdir()) == []  # unnamed: nothing to clean up, gone with the process
    kept.close()


def test_a_rewrite_keeps_the_live_fragments_in_the_order_asked(tmp_path: Path) -> None:
    kept = FragmentFile(tmp_path)
    first, second = kept.append(b"first,"), kept.append(b"second,")
    stale = [kept.append(b"x" * (REWRITE_AFTER // 2 + 1)) for _ in range(3)]
    for location in stale:
        kept.forget(location)
    order = [second, first]
    assert kept.untidy(len(kept.spans(order)))  # 1.5 MB stale, 13 bytes live
    moved = kept.rewrite(order)
    assert joined(kept, moved) == b"[second,first,]" and kept.spans(moved) == [(0, 13)]
    assert not kept.untidy(1)
    assert kept.append(b"z") == len(b"second,first,") << 32 | 1  # the file now ends after the live fragments
    kept.close()


def test_fragments_scattered_into_many_spans_ask_for_a_rewrite(tmp_path: Path) -> None:
    kept = FragmentFile(tmp_path)
    locations = [kept.append(b"%d," % index) for index in range(MAX_PIECES + 1)]
    assert not kept.untidy(len(kept.spans(locations)))
    backwards = locations[::-1]
    assert kept.untidy(len(kept.spans(backwards)))
    moved = kept.rewrite(backwards)
    assert len(kept.spans(moved)) == 1
    assert joined(kept, moved) == b"[" + b"".join(b"%d," % index for index in range(MAX_PIECES, -1, -1)) + b"]"
    kept.close()


def test_a_directory_that_cannot_be_written_falls_back_to_the_temporary_directory(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    kept = FragmentFile(blocked / "state")
    assert joined(kept, [kept.append(b"ok")]) == b"[ok]"
    kept.close()
