"""Two-stage routing: files and words choose the domain whose tools the model is offered."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

import tools
from agent.domains import DOMAINS, REFLECTION, DomainRouter
from agent.loop import GeoAgent
from agent.steps import ToolOutput
from tools.result import Artifact


class WordsEmbedder:
    """Bag of words over a fixed vocabulary: enough to check the router's rules."""

    name, dim = "words", 4096

    def embed(self, texts, progress=False):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().replace("?", " ").replace(",", " ").split():
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
        return out


def test_files_decide_the_domain(workspace, tmp_path):
    router = DomainRouter(embedder=WordsEmbedder())

    def art(kind, name):
        return Artifact("ws-9", kind, str(tmp_path / name), name)

    assert router.by_files([art("stream", "a.mseed")], None) == "seismology"
    assert router.by_files([art("file", "g.csv")], None) == "potential_fields"
    assert router.by_files([art("file", "m.nc")], None) == "potential_fields"
    assert router.by_files([art("segy", "l.sgy")], None) == REFLECTION
    assert router.by_files([art("file", "w.las")], None) == REFLECTION
    assert router.by_files([], None) is None
    # the most items decide; on a tie, the first shown, run after run
    two = [art("stream", "a.sac"), art("segy", "l.sgy"), art("stream", "b.sac")]
    assert router.by_files(two, None) == "seismology"
    assert router.by_files([art("segy", "l.sgy"), art("stream", "a.sac")], None) == REFLECTION
    assert router.by_files([art("stream", "a.sac"), art("segy", "l.sgy")], None) == "seismology"
    # a result made from gravity data is a potential-field item, whatever its file
    grid = workspace.save_array(np.zeros((8, 8), np.float32), "grid", {"pf": {"kind": "grid"}})
    section = workspace.save_array(np.zeros((8, 8), np.float32), "section", {"dt_ms": 4.0})
    assert router.by_files([workspace.artifact(grid.id)], workspace) == "potential_fields"
    assert router.by_files([workspace.artifact(section.id)], workspace) == REFLECTION
    # the files win over the words
    assert router.choose("upward continue by 500 m", [art("stream", "a.sac")]) == "seismology"


def test_words_choose_only_by_a_margin():
    router = DomainRouter(embedder=WordsEmbedder(), margin=0.05)
    scores = router.scores("Interpolate irregular station readings onto a mesh")
    assert max(scores, key=lambda n: scores[n]) == "potential_fields"
    assert (
        router.by_words("Interpolate irregular station readings onto a mesh") == "potential_fields"
    )
    # nothing like any example: the trained router keeps it
    assert router.by_words("") == REFLECTION
    wide = DomainRouter(embedder=WordsEmbedder(), margin=10.0)
    assert wide.by_words("Interpolate irregular station readings onto a mesh") == REFLECTION


def test_the_embedded_model_tells_the_domains_apart():
    pytest.importorskip("sentence_transformers")
    router = DomainRouter()
    try:
        router.scores("warm up")
    except Exception as e:  # the embedded MiniLM is a package the tests may lack
        pytest.skip(f"no embedded sentence model: {e}")
    assert router.by_words("P and S arrival times for a 30 km deep quake at 60 degrees") == (
        "seismology"
    )
    assert router.by_words("model the gravity of a dense cube buried 2 km deep") == (
        "potential_fields"
    )
    assert router.by_words("Generate a synthetic seismic section with two faults") == REFLECTION
    assert router.by_words("What is normal moveout?") == REFLECTION


def test_the_agent_offers_the_domain_of_the_attached_file(scripted_model, tmp_path):
    obspy = pytest.importorskip("obspy")
    mseed = tmp_path / "event.mseed"
    obspy.read().write(str(mseed), format="MSEED")  # ObsPy's example stream
    agent = GeoAgent(scripted_model, index=None)  # default: every tool, by domain
    assert agent.registry is tools.ALL and agent.domains is not None
    agent.domains.embedder = WordsEmbedder()
    scripted_model.enqueue_tool_call("read_waveforms", {"file": "ws-1"}).enqueue("read")
    result = agent.ask("read this", files=[str(mseed)])
    assert [t["name"] for t in scripted_model.bound_tools] == tools.SEISMOLOGY.names()
    outputs = [s for s in result.steps if isinstance(s, ToolOutput)]
    assert [o.name for o in outputs] == ["read_waveforms"] and outputs[0].result.ok

    # an explicit registry is offered whole
    only = tools.Registry([tools.ALL.get("segy_info")])
    agent = GeoAgent(scripted_model, index=None, registry=only)
    assert agent.domains is None
    scripted_model.enqueue("nothing to do")
    agent.ask("hello")
    assert [t["name"] for t in scripted_model.bound_tools] == ["segy_info"]


_DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
# each domain blind set: the fewest requests it must hold, and the seismology and
# potential-field tools it leaves out (the first has no setup with absolute gravity and
# station heights, grav_stations, so no gravity_corrections)
DOMAIN_SETS = {
    _DATA / "routing_domains_blind_1.jsonl": (80, {"gravity_corrections"}),
    _DATA / "routing_domains_blind_2.jsonl": (80, set()),
    _DATA / "routing_domains_blind_3.jsonl": (80, set()),
    _DATA / "routing_domains_blind_4.jsonl": (80, set()),
}
_domain_sets = pytest.mark.parametrize("path", list(DOMAIN_SETS), ids=lambda p: p.stem)


@_domain_sets
def test_the_domain_blind_set_is_well_formed_and_apart_from_the_router_examples(path):
    """benchmarks/data/routing_domains_blind_*.jsonl: written blind, frozen before they
    were scored; every gold tool exists, its arguments are in its schema, every number of
    a gold call is in the request, and no request is a near copy of a router example
    or of a training phrasing."""
    from benchmarks.routing import load_requests
    from finetune.tool_tasks import SETUPS
    from tests.near_copies import near_copies, norm, training_phrasings

    fewest, left_out = DOMAIN_SETS[path]
    items = load_requests(path)
    assert len(items) >= fewest and len({it["id"] for it in items}) == len(items)
    used = set()
    for it in items:
        assert it["setup"] in SETUPS, it["id"]
        for name, args in it["calls"]:
            props = tools.ALL.get(name).parameters.get("properties", {})
            assert set(args) <= set(props), (it["id"], name)
            used.add(name)
            for v in args.values():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    assert f"{v:g}" in it["request"].replace(",", ""), (it["id"], v)
    # every seismology and potential-field tool but those the set leaves out
    wanted = set(tools.SEISMOLOGY.names()) | set(tools.POTENTIAL_FIELDS.names())
    assert wanted - used == left_out
    examples = [norm(e) for d in DOMAINS for e in d.examples]
    requests = [(it["id"], norm(it["request"])) for it in items]
    assert not near_copies(requests, examples)
    training = {text for _, text in training_phrasings()}
    assert not [label for label, _, _ in near_copies(requests, training)], "close to training"


@pytest.mark.slow
@_domain_sets
def test_every_domain_gold_plan_runs_with_grounded_arguments(path, tmp_path):
    """Each gold plan of the domain set runs for real (as benchmarks.routing does), and
    every argument is one the grammar would offer: a number the conversation gave, an
    id that was shown, of a kind the argument takes."""
    from benchmarks.routing import load_requests
    from finetune.tool_tasks import SETUPS
    from finetune.traces import run_plan, setup_files
    from tests.gold_plans import assert_grounded

    for it in load_requests(path):
        if not it["calls"]:
            continue
        paths = setup_files(SETUPS[it["setup"]], tmp_path)
        calls = [tuple(c) for c in it["calls"]]
        assert_grounded(it["id"], run_plan(it["request"], paths, calls, registry=tools.ALL))
