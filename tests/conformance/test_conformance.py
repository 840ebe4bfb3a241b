"""Conformance tier: R code nobody here wrote (R's own help examples) and small scripts for
each behaviour of issue 19 give the same stdout, stderr and exit status through
`webr-desktop run` as through raw webR run like Rscript. Every difference left is listed with
its reason in allow.json; nothing is skipped."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from tests.conformance import harness

pytestmark = [pytest.mark.webengine, pytest.mark.timeout(900)]  # R's examples under load

CASES = sorted((harness.HERE / "cases").glob("*.R"))
BATCHES = harness.read_topics()
ALLOWED = harness.load_allow_list()


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str | None]:
    """Every topic's examples, written by R itself (tools::Rd2ex) in raw webR."""
    work = tmp_path_factory.mktemp("examples")
    gen = work / "generate.R"
    gen.write_text(harness.example_generator(list(itertools.chain(*BATCHES))), encoding="utf-8")
    result = harness.run_raw(gen, work)
    assert result.status == 0, result.stderr
    return harness.split_examples(result.stdout)


def _compare(case: str, script: Path, tmp_path: Path) -> None:
    app_dir, raw_dir = tmp_path / "app", tmp_path / "raw"
    app_dir.mkdir()
    raw_dir.mkdir()
    # `run` works in the script's folder (Rplots.pdf lands there): a copy in a folder of its own.
    script = Path(shutil.copy(script, app_dir / script.name))
    app = harness.run_app(script, app_dir)
    raw = harness.run_raw(script, raw_dir)
    # The app's R works in the folder it was started in (mounted); raw webR in its home.
    bad, ok = harness.differences(case, app, raw, ALLOWED, (str(app_dir), "/home/web_user"))
    for line in ok:
        print(f"{case}: {line}")
    assert not bad, f"{case}: differences not in allow.json:\n" + "\n".join(bad[:60])


@pytest.mark.parametrize("script", CASES, ids=[p.stem for p in CASES])
def test_own_case(script: Path, tmp_path: Path) -> None:
    _compare(script.stem, script, tmp_path)


@pytest.mark.parametrize("batch", range(len(BATCHES)), ids=[f"examples-{i + 1:02d}" for i in range(len(BATCHES))])
def test_help_examples(batch: int, examples: dict[tuple[str, str], str | None], tmp_path: Path) -> None:
    topics = BATCHES[batch]
    missing = [f"{p}::{t}" for p, t in topics if examples.get((p, t)) is None]
    assert not missing, f"no help page in webR for {missing}"
    script = tmp_path / f"examples-{batch + 1:02d}.R"
    script.write_text(harness.batch_script(topics, examples), encoding="utf-8")
    _compare(f"examples-{batch + 1:02d}", script, tmp_path)


def test_enough_topics_and_an_honest_allow_list() -> None:
    assert sum(len(b) for b in BATCHES) >= 100
    names = {p.stem for p in CASES} | {f"examples-{i + 1:02d}" for i in range(len(BATCHES))} | {"*"}
    for entry in ALLOWED:
        assert entry.case in names, f"allow.json names no case: {entry.case}"
