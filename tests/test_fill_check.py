"""The fill self-check: hidden live traces pick the candidate that restores them best."""

import numpy as np

from tools.fill_check import check_fills, check_windows, probe_mask, true_runs
from tools.interpolation import FILLS


def _dipping(n_traces: int = 96, n_samples: int = 200, dip: float = 1.3) -> np.ndarray:
    """Sinusoidal events dipping ``dip`` samples per trace."""
    t = np.arange(n_samples)[None, :] - dip * np.arange(n_traces)[:, None]
    return np.sin(2 * np.pi * t / 23.0) + 0.5 * np.sin(2 * np.pi * t / 11.0)


def test_dead_runs():
    dead = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], bool)
    assert true_runs(dead) == [(1, 2), (5, 1), (7, 3)]
    assert true_runs(np.zeros(5, bool)) == []


def test_probe_hides_live_runs_shaped_like_the_gaps():
    rng = np.random.default_rng(0)
    dead = np.zeros(200, bool)
    for s in range(5, 190, 20):
        dead[s : s + 3] = True  # runs of three
    hide = probe_mask(dead, rng, 0.1)
    assert hide.any() and not (hide & dead).any()
    assert not hide[0] and not hide[-1]
    assert {length for _, length in true_runs(hide)} == {3}
    for start, length in true_runs(hide):  # each hidden run keeps live flanks
        assert not dead[start - 1] and not dead[start + length]


def test_probe_with_every_second_trace_dead_still_hides_some():
    dead = np.arange(50) % 2 == 1
    hide = probe_mask(dead, np.random.default_rng(1), 0.1)
    assert hide.any() and not (hide & dead).any()
    assert (~dead & ~hide).sum() >= 2


def test_check_prefers_the_fill_that_restores_dipping_beds():
    clean = _dipping()
    dead = np.zeros(96, bool)
    dead[2::3] = True
    holed = np.where(dead[:, None], 0.0, clean)
    zeros = lambda s, d, dt: np.where(d[:, None], 0.0, s)  # noqa: E731  (leaves gaps empty)
    fills = {"zeros": zeros, "linear": FILLS["linear"], "pocs": FILLS["pocs"]}
    check = check_fills(holed, dead, fills, 4.0, seed=3)
    assert check.best == "pocs"
    assert check.scores_db["pocs"] > check.scores_db["linear"] + 3
    assert check.scores_db["linear"] > check.scores_db["zeros"]
    assert check.hidden > 0
    assert check_fills(holed, dead, fills, 4.0, seed=3) == check  # seeded: repeats exactly


def test_check_prefers_linear_on_flat_beds():
    clean = _dipping(dip=0.0)
    dead = np.zeros(96, bool)
    dead[[10, 11, 40, 70, 71, 72]] = True
    holed = np.where(dead[:, None], 0.0, clean)
    noisy = lambda s, d, dt: FILLS["linear"](s, d, dt) + d[:, None] * 0.3  # noqa: E731
    check = check_fills(holed, dead, {"noisy": noisy, "linear": FILLS["linear"]}, 4.0)
    assert check.best == "linear"


def test_check_with_nothing_to_hide_keeps_the_first_candidate():
    section = np.ones((3, 10))
    dead = np.array([False, True, False])
    check = check_fills(section, dead, {"a": FILLS["linear"], "b": FILLS["pocs"]}, 4.0)
    assert check.best == "a" and check.hidden == 0
    assert all(np.isnan(v) for v in check.scores_db.values())


def test_a_long_record_is_checked_on_time_windows_spread_down_it():
    assert check_windows(200, 2) == [slice(0, 200)] * 2  # short: the whole record
    wins = check_windows(1500, 2, 256)
    assert [w.stop - w.start for w in wins] == [256, 256]
    assert wins[0].start < 750 < wins[1].start and wins[1].stop <= 1500
    clean = _dipping(n_samples=1500)
    dead = np.zeros(96, bool)
    dead[2::3] = True
    holed = np.where(dead[:, None], 0.0, clean)
    seen: list[int] = []

    def pocs(s, d, dt):
        seen.append(s.shape[1])
        return FILLS["pocs"](s, d, dt)

    check = check_fills(holed, dead, {"linear": FILLS["linear"], "pocs": pocs}, 4.0, seed=3)
    assert seen == [256, 256]  # each candidate fills only the windows
    assert check.best == "pocs" and check.hidden > 0
