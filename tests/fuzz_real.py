"""Malformed copies of the shared real files (``common.paths.geofm_data() / "data"``):
the F3 crop, the NPR-A 2D line and the land shot gather (SEG-Y), the F02-1 well log
(LAS), the F3 inline 362 export (ASCII) and its checkshot, each broken by the mutations
of ``tests.fuzz_inputs``; plus the two broken SEG-Y files as they are. Seeded.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.fuzz_inputs import _SEGY_CALLS, Case, _las_mutations, _segy_mutations

__all__ = ["real_cases", "REAL_SEGY"]

REAL_SEGY = ("f3_crop.sgy", "npra_31_81.sgy", "land_shot_gather.sgy")
BROKEN_SEGY = ("broken_truncated.sgy", "long_no_geometry.sgy")


def real_cases(data: Path, folder: Path, seed: int, n: int) -> list[Case]:
    """``n`` cases from mutated copies of the real files in ``data`` (written to
    ``folder``), a third SEG-Y, a third LAS, a third ASCII (sections and checkshots)."""
    r = random.Random(f"real-{seed}")
    folder.mkdir(parents=True, exist_ok=True)
    segy_mut, las_mut = _segy_mutations(), _las_mutations()
    well = data / "f3_inline362"
    las_lines = (well / "F02-1_logs.las").read_text().splitlines()
    section = (well / "export_inline362.ascii").read_text().splitlines()
    checkshot = (well / "F02-1_checkshot_TD.txt").read_text().splitlines()
    cases = [
        Case(f"real-{name}", "segy", tool, args, (str(data / "segy" / name),), "as shipped")
        for name in BROKEN_SEGY
        for tool, args in _SEGY_CALLS
    ]
    for i in range(n):
        kind = ("segy", "las", "ascii")[i % 3]
        if kind == "segy":
            name = r.choice(REAL_SEGY)
            raw = bytearray((data / "segy" / name).read_bytes())
            picked = r.sample(segy_mut, r.choice((1, 2)))
            for _, mutate in picked:
                raw = mutate(raw, r)
            path = folder / f"real-{i:04d}.sgy"
            path.write_bytes(bytes(raw))
            tool, args = r.choice(_SEGY_CALLS)
            files: tuple[str, ...] = (str(path),)
            note = f"{name}: " + "+".join(m for m, _ in picked)
        elif kind == "las":
            picked_las = r.sample(las_mut, r.choice((1, 2)))
            lines = list(las_lines)
            for _, mutate_las in picked_las:
                lines = mutate_las(lines, r)
            path = folder / f"real-{i:04d}.las"
            path.write_text("\n".join(lines) + "\n", errors="surrogatepass")
            tool = "read_well_log"
            args = {"file": "ws-1", "curve": r.choice(("AI", "RHOB", "DT", "GR"))}
            files = (str(path),)
            note = "F02-1_logs.las: " + "+".join(m for m, _ in picked_las)
        else:
            source = r.choice(("section", "checkshot"))
            lines = list(section if source == "section" else checkshot)
            for _ in range(r.choice((1, 3, 10))):
                k = r.randrange(len(lines))
                cut = lines[k].split()
                op = r.choice(("drop", "token", "truncate", "swap"))
                if op == "drop" and cut:
                    cut.pop(r.randrange(len(cut)))
                elif op == "token" and cut:
                    cut[r.randrange(len(cut))] = r.choice(("nan", "x", "1e999", "", "--"))
                elif op == "truncate":
                    cut = cut[: r.randrange(len(cut) + 1)]
                else:
                    j = r.randrange(len(lines))
                    lines[j], cut = lines[k], lines[j].split()
                lines[k] = "\t".join(cut)
            path = folder / f"real-{i:04d}.txt"
            path.write_text("\n".join(lines) + "\n")
            if source == "section":
                tool, args, files = "read_ascii_section", {"file": "ws-1"}, (str(path),)
            else:
                tool, args = "read_well_log", {"file": "ws-1", "checkshot": "ws-2"}
                files = (str(well / "F02-1_logs.las"), str(path))
            note = f"{source}: mutated rows"
        cases.append(Case(f"real-{i:04d}", kind, tool, args, files, note))
    return cases
