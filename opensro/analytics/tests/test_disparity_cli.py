"""Tests of the ``opensro disparity`` command logic (R-E1, R-E2, R-I1; docs/methods.md).

Plain pytest, no database: ``main(argv, stdout, stderr)`` is called with
temporary CSV files.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from opensro.analytics.disparity_cli import JSON_GROUP_KEYS, JSON_KEYS, main

REQUIRED_GROUP_KEYS = {
    "group",
    "base",
    "count",
    "rate",
    "ratio",
    "risk_ratio",
    "ci_low",
    "ci_high",
    "significant",
}
OPTIONAL_GROUP_KEYS = {"ci_method", "p_value", "p_adjusted", "note"}

OJJDP_2020_MALES_CSV = """group,base,count
WH,8752200,159200
BL,2468900,129700
AIAN,310700,6900
ANHPI,988200,4500
HI,4038700,71800
"""


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, out, err)
    return status, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "counts.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------------
# Published worked examples through the command
# ---------------------------------------------------------------------------


def test_cli_reproduces_ojjdp_2020_relative_rate_index(tmp_path: Path) -> None:
    """OJJDP relative rate index through ``opensro disparity``.

    Source: OJJDP Statistical Briefing Book (National Center for Juvenile
    Justice; released 2023): counts from the National R/ED Databook "2020 Case
    Processing Summary: by gender and race/ethnicity — Counts for Delinquency
    Offenses" (Males: population at risk, cases referred to juvenile court);
    published results from the Data Snapshot "Case processing characteristics
    of delinquency offenses by gender and race, 2020", "Cases involving males",
    row "Cases referred per 1,000 population": rates 18.2 (White), 52.5
    (Black), 22.2 (AIAN), 4.6 (ANHPI), 17.8 (Hispanic); ratio of rates to White
    2.9, 1.2, 0.3, 1.0.
    """
    status, out, err = run(["--counts", write(tmp_path, OJJDP_2020_MALES_CSV), "--format", "json"])
    assert status == 0, err
    data = json.loads(out)
    assert data["reference"] == "WH" and data["per"] == 1000
    rates = {g["group"]: round(g["rate"], 1) for g in data["groups"]}
    ratios = {g["group"]: round(g["ratio"], 1) for g in data["groups"]}
    assert rates == {"WH": 18.2, "BL": 52.5, "AIAN": 22.2, "ANHPI": 4.6, "HI": 17.8}
    assert ratios == {"WH": 1.0, "BL": 2.9, "AIAN": 1.2, "ANHPI": 0.3, "HI": 1.0}

    status, out, _ = run(["--counts", write(tmp_path, OJJDP_2020_MALES_CSV)])
    assert status == 0
    assert "52.53" in out and "2.89" in out


def test_cli_reproduces_published_katz_interval(tmp_path: Path) -> None:
    """Katz log interval through ``opensro disparity --base-kind proportion``.

    Source: InfluentialPoints.com, "Confidence intervals of ratios: Risk ratio,
    odds ratio, and rate ratio", Worked example I (vitamin E and early macular
    degeneration; undated web page): 35/409 treated vs 34/418 placebo,
    "Risk ratio = 1.052 (0.670 - 1.653)".
    """
    path = write(tmp_path, "group,base,count\ntreated,409,35\nplacebo,418,34\n")
    status, out, err = run(
        [
            "--counts",
            path,
            "--reference",
            "placebo",
            "--base-kind",
            "proportion",
            "--per",
            "100",
            "--format",
            "json",
        ]
    )
    assert status == 0, err
    data = json.loads(out)
    treated = next(g for g in data["groups"] if g["group"] == "treated")
    assert round(treated["ratio"], 3) == 1.052
    assert round(treated["ci_low"], 3) == 0.670
    assert round(treated["ci_high"], 3) == 1.653
    assert treated["ci_method"] == "katz-log"
    assert treated["significant"] is False
    assert round(treated["rate"], 2) == 8.56  # 35 per 409 = 8.56 per 100


# ---------------------------------------------------------------------------
# Output formats
# ---------------------------------------------------------------------------

SCHOOL_CSV = """group,base,count
WH,2000,20
BL,800,32
HI,1000,12
AS,150,0
TR,30,2
"""


def test_json_has_exactly_the_required_keys(tmp_path: Path) -> None:
    status, out, err = run(["--counts", write(tmp_path, SCHOOL_CSV), "--format", "json"])
    assert status == 0, err
    data = json.loads(out)
    assert list(data) == list(JSON_KEYS)
    assert set(data) == {
        "reference",
        "per",
        "groups",
        "overall_rate",
        "index_of_disparity",
        "weighted_index_of_disparity",
        "gini",
    }
    assert [g["group"] for g in data["groups"]] == ["WH", "BL", "HI", "AS", "TR"]
    for group in data["groups"]:
        assert set(group) >= REQUIRED_GROUP_KEYS
        assert set(group) <= REQUIRED_GROUP_KEYS | OPTIONAL_GROUP_KEYS
        assert list(group) == list(JSON_GROUP_KEYS)
        assert isinstance(group["significant"], bool)
    tr = data["groups"][4]
    assert tr["ratio"] is None and tr["ci_low"] is None and tr["risk_ratio"] is None
    assert "1% minimum" in tr["note"]
    wh = data["groups"][0]
    assert wh["ratio"] == 1.0 and wh["p_value"] is None
    assert data["groups"][1]["significant"] is True
    assert data["overall_rate"] == pytest.approx(66 * 1000 / 3980)
    assert 0 < data["gini"] < 1


def test_json_uses_null_for_undefined_values(tmp_path: Path) -> None:
    path = write(tmp_path, "group,base,count\nWH,100,0\nBL,100,0\n")
    status, out, _ = run(["--counts", path, "--format", "json"])
    assert status == 0
    data = json.loads(out)
    assert data["index_of_disparity"] is None and data["gini"] is None
    assert data["overall_rate"] == 0.0
    assert all(g["ratio"] is None for g in data["groups"])
    assert "null" in out and "NaN" not in out and "Infinity" not in out


def test_table_output(tmp_path: Path) -> None:
    status, out, err = run(["--counts", write(tmp_path, SCHOOL_CSV), "--format", "table"])
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("Disparity table: reference WH, rates per 1,000")
    header = next(line for line in lines if line.startswith("group"))
    for column in ("base", "count", "rate/1,000", "ratio", "95% CI", "p (BH)", "risk ratio"):
        assert column in header
    body = [line for line in lines if line.split(" ")[0] in {"WH", "BL", "HI", "AS", "TR"}]
    assert len(body) == 5
    # Right-aligned numeric columns end at the same offset on every line.
    for column in ("  base", "count", "ratio"):
        end = header.index(column) + len(column)
        for line in body:
            assert line[end - 1] != " " and line[end] == " ", (column, line)
    assert "index of disparity (%)" in out and "between-group Gini" in out
    assert "TR: excluded" in out


def test_csv_output(tmp_path: Path) -> None:
    status, out, _ = run(
        ["--counts", write(tmp_path, SCHOOL_CSV), "--format", "csv", "--per", "100"]
    )
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["group"] for r in rows] == ["WH", "BL", "HI", "AS", "TR"]
    assert set(REQUIRED_GROUP_KEYS) <= set(rows[0])
    bl = rows[1]
    assert float(bl["rate"]) == 4.0 and float(bl["ratio"]) == 4.0
    assert bl["significant"] == "true"
    assert rows[4]["ratio"] == "" and rows[4]["significant"] == "false"


def test_default_format_is_table_and_reference_option(tmp_path: Path) -> None:
    status, out, _ = run(["--counts", write(tmp_path, SCHOOL_CSV), "--reference", "BL"])
    assert status == 0
    assert out.startswith("Disparity table: reference BL")


def test_help_goes_to_stdout(tmp_path: Path) -> None:
    status, out, err = run(["--help"])
    assert status == 0 and err == ""
    assert out.startswith("usage: opensro disparity")
    assert "--counts" in out and "--reference" in out and "--per" in out


def test_state_counts_give_alternate_risk_ratio(tmp_path: Path) -> None:
    district = write(tmp_path, "group,base,count\nWH,40,3\nBL,400,40\n")
    state = write(tmp_path, "group,base,count\nWH,90000,1800\nBL,30000,1500\n", "state.csv")
    status, out, err = run(["--counts", district, "--state-counts", state, "--format", "json"])
    assert status == 0, err
    bl = json.loads(out)["groups"][1]
    assert bl["risk_ratio"] == pytest.approx(0.1 / 0.02)
    assert "alternate risk ratio" in bl["note"]


def test_module_runs_with_python_dash_m(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "opensro.analytics.disparity_cli",
            "--counts",
            write(tmp_path, SCHOOL_CSV),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reference"] == "WH"
    missing = subprocess.run(
        [sys.executable, "-m", "opensro.analytics.disparity_cli", "--counts", "/nonexistent.csv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


# ---------------------------------------------------------------------------
# Errors: exit status 2 and a message naming the problem
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("group,base\nWH,100\n", ["counts.csv:1", "missing column(s) count"]),
        ("grp,base,count\nWH,100,1\n", ["counts.csv:1", "missing column(s) group"]),
        ("group,base,count\nWH,100,1\nBL,100,many\n", ["counts.csv:3", "'count'", "'many'"]),
        ("group,base,count\nWH,1e3,1\n", ["counts.csv:2", "'base'", "whole number"]),
        ("group,base,count\nWH,100,1\nBL,-5,0\n", ["counts.csv:3", "'base'", "negative"]),
        ("group,base,count\nWH,100,-1\n", ["counts.csv:2", "'count'", "negative"]),
        ("group,base,count\nWH,100,1\nBL,10,11\n", ["counts.csv:3", "'count'", "larger"]),
        (
            "group,base,count\nWH,100,1\nBL,10,1\nBL,20,2\n",
            ["counts.csv:4", "duplicate group 'BL'", "first on line 3"],
        ),
        ("", ["counts.csv", "empty"]),
        ("\n\n  \n", ["counts.csv", "empty"]),
        ("group,base,count\n", ["counts.csv", "no data rows"]),
        ("group,base,count\nWH,100\n", ["counts.csv:2", "'count' is missing"]),
        ("group,base,count\nWH,,1\n", ["counts.csv:2", "'base' is empty"]),
        ("group,base,count\n,100,1\n", ["counts.csv:2", "'group' is empty"]),
        ("group,base,count\nBL,100,1\nHI,100,2\n", ["--reference", "'WH'", "BL, HI"]),
    ],
)
def test_input_errors_exit_2(tmp_path: Path, content: str, expected: list[str]) -> None:
    status, out, err = run(["--counts", write(tmp_path, content), "--format", "json"])
    assert status == 2
    assert out == ""
    assert err.startswith("opensro disparity: error: ")
    for fragment in expected:
        assert fragment in err, err


def test_unknown_explicit_reference(tmp_path: Path) -> None:
    status, _, err = run(["--counts", write(tmp_path, SCHOOL_CSV), "--reference", "XX"])
    assert status == 2
    assert "unknown reference group 'XX'" in err and "AS, BL, HI, TR, WH" in err


def test_missing_file_directory_and_not_utf8(tmp_path: Path) -> None:
    status, _, err = run(["--counts", str(tmp_path / "missing.csv")])
    assert status == 2 and "missing.csv: file does not exist" in err

    status, _, err = run(["--counts", str(tmp_path)])
    assert status == 2 and "is a directory" in err

    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("group,base,count\nWH,100,1\nHispánico,100,2\n".encode("latin-1"))
    status, _, err = run(["--counts", str(latin1)])
    assert status == 2 and "latin1.csv:3" in err and "not UTF-8" in err


def test_utf8_with_bom_and_extra_columns_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffCount,Group,Base,school\n1,WH,100,A\n3,Hispánico,100,A\n".encode())
    status, out, err = run(["--counts", str(path), "--format", "csv"])
    assert status == 0, err
    assert "Hispánico" in out


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    status, out, err = run([])
    assert status == 2 and out == "" and "--counts" in err
    path = write(tmp_path, SCHOOL_CSV)
    for argv in (
        ["--counts", path, "--per", "0"],
        ["--counts", path, "--per", "ten"],
        ["--counts", path, "--format", "xml"],
        ["--counts", path, "--bogus"],
    ):
        status, out, err = run(argv)
        assert status == 2 and out == "", argv
        assert err.startswith("usage: opensro disparity"), argv


def test_state_counts_errors_are_reported(tmp_path: Path) -> None:
    district = write(tmp_path, SCHOOL_CSV)
    state = write(tmp_path, "group,base,count\nWH,10,20\n", "state.csv")
    status, _, err = run(["--counts", district, "--state-counts", state])
    assert status == 2 and "state.csv:2" in err and "'count'" in err


def test_opensro_disparity_command_end_to_end(tmp_path: Path) -> None:
    """Through the installed ``opensro`` command, as an analyst types it: the published
    OJJDP 2020 example (Black/White ratio 2.9 per 1,000 referred) and exit 2 on bad
    input."""
    opensro = str(Path(sys.executable).parent / "opensro")
    done = subprocess.run(
        [opensro, "disparity", "--counts", write(tmp_path, OJJDP_2020_MALES_CSV),
         "--format", "json"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    black = next(g for g in result["groups"] if g["group"] == "BL")
    assert round(black["ratio"], 1) == 2.9
    assert round(black["rate"], 1) == 52.5
    bad = subprocess.run(
        [opensro, "disparity", "--counts", write(tmp_path, "group,base,count\nWH,10,20\n",
                                                  "bad.csv")],
        capture_output=True, text=True, check=False,
    )
    assert bad.returncode == 2
    assert "line 2" in bad.stderr or "base" in bad.stderr
