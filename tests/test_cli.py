"""The `geofm` command line: errors are one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest

from agent.cli import main


def test_help_lists_groups(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for group in ["ask", "models", "tools", "index", "bench", "finetune", "volume"]:
        assert group in out


def test_ask_missing_file_is_one_line(capsys, tmp_path):
    code = main(["ask", "What is NMO?", "--file", str(tmp_path / "missing.sgy")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "file not found" in err and "Traceback" not in err


def test_ask_not_segy_is_one_line(capsys, tmp_path):
    fake = tmp_path / "fake.sgy"
    fake.write_text("this is not a SEG-Y file\n" * 10)
    code = main(["ask", "What is this?", "--file", str(fake)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "fake.sgy" in err


def test_ask_unsupported_type(capsys, tmp_path):
    f = tmp_path / "x.docx"
    f.write_text("x")
    assert main(["ask", "q", "--file", str(f)]) == 1
    assert "unsupported file type" in capsys.readouterr().err


def test_models_json(capsys):
    import json

    assert main(["models", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["llm"]["name"] == "SmolLM2-135M-Instruct"
    assert report["llm"]["ready"] is False  # GEOFM_HOME is a fresh temporary directory


@pytest.mark.slow
def test_ask_json_on_embedded_model(capsys):
    import json

    code = main(
        ["ask", "What does normal moveout correction do?", "--json", "--max-new-tokens", "40"]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["answer"].strip()
    assert result["steps"][-1]["type"] == "answer"
