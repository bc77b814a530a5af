"""The discovery benchmark can fail: on a graph without communities suggestions cannot beat popularity by 3x."""

from __future__ import annotations

from bench import discovery


def test_the_benchmark_passes_on_planted_communities_and_fails_on_pure_noise(capsys) -> None:
    # Given a small synthetic graph with planted communities
    small = ["--users", "800", "--accounts", "100", "--community-size", "10"]

    # When the benchmark runs on it / Then it passes
    assert discovery.main(small) == 0
    assert "PASS" in capsys.readouterr().out

    # And when it runs on the same graph made pure noise, Then it fails
    assert discovery.main([*small, "--noise", "1.0"]) == 1
    assert "FAIL" in capsys.readouterr().out
