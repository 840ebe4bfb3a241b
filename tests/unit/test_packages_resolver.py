"""Versions, DCF and dependency resolution (core.packages: dcf, versions, resolver)."""

from __future__ import annotations

import pytest

from webr_desktop.core.packages import dcf, versions
from webr_desktop.core.packages.errors import CompiledCodeError, NotFoundError, UnsatisfiableError
from webr_desktop.core.packages.model import Candidate
from webr_desktop.core.packages.resolver import resolve


def test_versions_compare_like_r() -> None:
    assert versions.compare("1.2-3", "1.2.3") == 0
    assert versions.compare("1.10", "1.9") == 1
    assert versions.compare("1.0", "1.0.1") == -1
    assert versions.compare("0.2-19", "0.2.18") == 1
    for bad in ("", "1..2", "v1.0", "1.0a", "1"[:0]):
        with pytest.raises(versions.VersionError):
            versions.parse_version(bad)


@pytest.mark.parametrize(("op", "version", "expected"), [
    (">=", "1.1", [False, True, True]), (">", "1.1", [False, False, True]),
    ("==", "1.1", [False, True, False]), ("<=", "1.1", [True, True, False]),
    ("<", "1.1", [True, False, False]), ("!=", "1.1", [True, False, True]),
])
def test_constraints(op: str, version: str, expected: list[bool]) -> None:
    constraint = versions.Constraint(op, version)
    assert [constraint.allows(v) for v in ("1.0", "1.1", "1.2")] == expected


def test_dependency_fields_parse_and_skip_r_and_base() -> None:
    record = {"Depends": "R (>= 3.5.0), methods,\n    utils", "Imports": "lambda.r (>= 1.1.0),\n futile.options,",
              "LinkingTo": "cpp11", "Suggests": "testthat (>= 3.0.0)"}
    deps, on_r = versions.requirements(record, versions.DEFAULT_FIELDS)
    assert [str(d) for d in deps] == ["lambda.r (>= 1.1.0)", "futile.options", "cpp11"]
    assert [str(d) for d in on_r] == ["R (>= 3.5.0)"]
    assert versions.dependency_fields(True, top_level=True)[-1] == "Suggests"
    assert versions.dependency_fields(True, top_level=False) == versions.DEFAULT_FIELDS
    assert versions.dependency_fields(False, top_level=True) == ()
    assert versions.dependency_fields(["Depends"], top_level=True) == ("Depends",)
    with pytest.raises(versions.VersionError):
        versions.parse_dependencies("foo (~> 1.0)")
    assert versions.built_r_version("R 4.1.1; ; 'Sat, 21 Aug 2021 18:04:39 +0000'; unix") == "4.1.1"


def test_dcf_round_trip_with_continuations_and_gzip() -> None:
    text = "Package: a\nVersion: 1.0\nDescription: line one\n    line two\n\n\nPackage: b\nVersion: 2\n"
    records = dcf.parse(text)
    assert records == [{"Package": "a", "Version": "1.0", "Description": "line one\nline two"},
                       {"Package": "b", "Version": "2"}]
    assert dcf.parse(dcf.format_records(records)) == records
    import gzip
    assert dcf.parse_bytes(gzip.compress(text.encode())) == records
    with pytest.raises(dcf.DcfError):
        dcf.parse_bytes(gzip.compress(text.encode())[:20])
    with pytest.raises(dcf.DcfError):
        dcf.parse(" orphan continuation\n")


def cand(name: str, version: str, source: str = "repo", kind: str = "binary", **fields: str) -> Candidate:
    record = {"Package": name, "Version": version, **fields}
    return Candidate(name, version, source, kind, f"http://x/{name}_{version}.tgz", record)


def index(*cands: Candidate) -> dict[str, list[Candidate]]:
    out: dict[str, list[Candidate]] = {}
    for c in cands:
        out.setdefault(c.name, []).append(c)
    return out


def test_chain_resolves_newest_satisfying_in_install_order() -> None:
    avail = index(cand("a", "1.0", Imports="b (>= 1.1)"), cand("a", "2.0", Imports="b (>= 1.1)"),
                  cand("b", "1.0", Depends="c"), cand("b", "1.1", Depends="R (>= 4.0), c, utils"),
                  cand("c", "0.5"), cand("c", "0.4"))
    plan = resolve(["a"], avail, {}, order=["repo"])
    assert [(i.name, i.version) for i in plan] == [("c", "0.5"), ("b", "1.1"), ("a", "2.0")]
    assert plan[1].required_by == ("a",)
    # an installed dependency that satisfies the constraint is left alone; one that doesn't is upgraded
    assert [i.name for i in resolve(["a"], avail, {"b": "1.2", "c": "0.1"})] == ["a"]
    assert [i.name for i in resolve(["a"], avail, {"b": "1.0", "c": "0.5"})] == ["b", "a"]
    # dependencies = FALSE: only what was named
    assert [i.name for i in resolve(["a"], avail, {}, dependencies=False)] == ["a"]


def test_constraints_from_several_dependents_accumulate() -> None:
    avail = index(cand("top", "1", Imports="x, y"), cand("x", "1", Imports="z (>= 2)"),
                  cand("y", "1", Imports="z (< 3)"), cand("z", "1"), cand("z", "2"), cand("z", "3"))
    plan = {i.name: i.version for i in resolve(["top"], avail, {})}
    assert plan["z"] == "2"


def test_source_order_breaks_ties_and_binaries_beat_sources() -> None:
    avail = index(cand("p", "1.0", "second"), cand("p", "1.0", "first"), cand("q", "1.0", "first", "source"),
                  cand("q", "1.0", "second"))
    assert resolve(["p"], avail, {}, order=["first", "second"])[0].source == "first"
    assert resolve(["q"], avail, {}, order=["first", "second"])[0].kind == "binary"


def test_unsatisfiable_and_missing_name_the_piece() -> None:
    avail = index(cand("a", "1.0", Imports="b (>= 1.1)"), cand("b", "1.0"), cand("n", "1", Imports="ghost"),
                  cand("newr", "1", Depends="R (>= 9.0)"),
                  cand("srcc", "1", kind="source", NeedsCompilation="yes"))
    with pytest.raises(UnsatisfiableError, match=r"no version of 'b' satisfies b \(>= 1.1\) \(needed by 'a'\).*1.0"):
        resolve(["a"], avail, {}, order=["repo"])
    with pytest.raises(NotFoundError, match=r"package 'ghost', needed by 'n', is not available from: repo, cache"):
        resolve(["n"], avail, {}, order=["repo", "cache"])
    with pytest.raises(NotFoundError, match="'nothere'"):
        resolve(["nothere"], avail, {}, order=["repo"])
    with pytest.raises(UnsatisfiableError, match=r"needs R \(>= 9.0\), but webR has R 4.6.0"):
        resolve(["newr"], avail, {})
    with pytest.raises(CompiledCodeError, match="repo.r-wasm.org"):
        resolve(["srcc"], avail, {})
    assert resolve(["utils", "methods"], avail, {}) == []


def test_a_longer_version_is_newer() -> None:
    avail = index(cand("p", "1.1"), cand("p", "1.1.0"), cand("p", "1.0.9"))
    assert resolve(["p"], avail, {})[0].version == "1.1.0"
