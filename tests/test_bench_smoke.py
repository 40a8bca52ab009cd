"""`bench/run.py --smoke`: the benchmark runs end to end and reports every figure (content, never timing)."""
import json
import os
import subprocess
import sys
from html import escape

import pytest

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """Where the smoke run wrote results.json (and results.svg beside it)."""
    out = tmp_path_factory.mktemp("bench") / "results.json"
    run = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py"), "--smoke", "--out", str(out),
                          "--workers", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=110)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "portone_complete" in run.stdout and "toss_success" in run.stdout   # the printed table
    return out


@pytest.fixture(scope="module")
def results(out):
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def svg(out):
    return out.with_suffix(".svg").read_text()


@pytest.mark.browser
def test_every_figure_is_reported(results):
    for name in ("floor", "portone_complete", "toss_success"):
        assert results[name]["n"] > 0 and results[name]["p50_ms"] > 0 and results[name]["p99_ms"] > 0
    for name in ("portone_complete", "toss_success"):
        assert results[name]["p50_to_floor"] > 0 and results[name]["p99_to_floor"] > 0
    for pg in ("portone", "toss"):
        for clients in ("1", "16"):
            assert results["flows_per_s"][pg][clients]["flows"] > 0
            assert results["flows_per_s"][pg][clients]["flows_per_s"] > 0
    log = results["log_scale"]
    assert log["small_flows"] == 100 and log["big_flows"] == 1000 and log["big_steps"] == 10_000
    for page in ("list", "flow", "compare"):
        assert log["pages"][page]["small_p50_ms"] > 0 and log["pages"][page]["ratio"] > 0
    emulator = results["emulator"]
    assert emulator["constant_json"]["rps"] > 0 and emulator["constant_json"]["server_cpu_us"] > 0
    for endpoint in ("portone_get_token", "portone_payment", "toss_payment"):
        assert emulator[endpoint]["rps"] > 0 and emulator[endpoint]["errors"] == 0
        assert emulator[endpoint]["to_constant"] > 0 and emulator[endpoint]["cpu_to_constant"] > 0
    slow = results["slow_clients"]
    assert slow["open_at_start"] == slow["open_at_end"] == slow["slow_connections"] > 0
    assert slow["n"] > 0 and slow["errors"] == 0 and slow["p99_ms"] > 0
    targets = {t["target"]: t for t in results["targets"]}
    assert set(targets) >= {"portone_complete p50 / floor p50", "toss_success p99 / floor p99",
                            "emulator portone_payment / constant JSON (req/s)", "p99 ms with slow clients open"}
    assert all(t["value"] is not None and t["holds"] in (True, False) for t in targets.values())


@pytest.mark.browser
def test_the_targets_are_drawn(results, svg):
    """bench/results.svg: one bar per target, its value and its limit written beside it."""
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for t in results["targets"]:
        assert escape(t["target"]) in svg and escape(f"{t['value']} ({t['op']} {t['limit']})") in svg
    assert svg.count("<rect") == len(results["targets"]) + 1     # the background and one bar each


@pytest.mark.browser
def test_no_errors_and_no_wrong_final_state(results):
    for name in ("portone_complete", "toss_success"):
        assert results[name]["errors"] == 0 and results[name]["wrong_states"] == 0
    assert results["floor"]["errors"] == 0
    for pg in ("portone", "toss"):
        for clients in ("1", "16"):
            run = results["flows_per_s"][pg][clients]
            assert run["errors"] == 0 and run["wrong_states"] == 0, results["problems"]
    assert results["problems"] == []


@pytest.mark.browser
def test_checkout_page_weight_counts_the_sdk_scripts(results):
    page = results["page"]
    assert "<emulator>/portone/v1/iamport.js" in page["urls"]
    assert any(url.startswith("<emulator>/toss/v1/payment-widget") for url in page["urls"])
    assert page["bytes"] >= sum(page["by_type"].values()) > 0
    assert page["by_type"].get("script", 0) > 0 and page["by_type"].get("stylesheet", 0) > 0
    assert page["buttons_ready_ms"] is not None and page["buttons_ready_ms"] > 0
