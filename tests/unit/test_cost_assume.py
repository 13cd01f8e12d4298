"""`sluice cost` and `sluice plan` refuse an assumption or a peak factor the model cannot use: one
line on stderr and exit 2, before any traffic is measured, never a traceback or a silent default."""

from __future__ import annotations

from dataclasses import fields

import pytest
from sluice_tools.cli.main import main
from sluice_tools.cost import prices, stage_cpu
from sluice_tools.cost.model import (
    FRACTION_ASSUMPTIONS,
    OPTION_ASSUMPTIONS,
    POSITIVE_ASSUMPTIONS,
    Assumptions,
    assume,
)
from sluice_tools.cost.plan import PlanError, plan

pytestmark = pytest.mark.usefixtures("priced_region")  # tests/unit/conftest.py


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line `sluice` prints for ``argv``, which it refuses with exit status 2."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and captured.out == "", captured.err
    return lines[0]


@pytest.mark.parametrize("command", ["plan", "cost"])
def test_the_peak_factor_is_set_by_its_option_never_by_assume(command, tmp_path, capsys):
    tfvars = tmp_path / "capacity.auto.tfvars.json"
    where = ["-o", str(tfvars)] if command == "plan" else ["--streams", "provisioned"]
    line = _refused([command, *where, "--assume", "peak_factor=40"], capsys)
    assert line == "sluice: error: --assume peak_factor: set it with --peak-factor"
    assert not tfvars.exists()


def test_plan_refuses_two_peak_factors_rather_than_keep_one(profile):
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    with pytest.raises(PlanError, match="peak_factor=4 but the assumptions' peak_factor=40: give one"):
        plan(100e6, profile, cpu, book, peak_factor=4, target_latency_s=120, assumptions=Assumptions(peak_factor=40))


@pytest.mark.parametrize("key", sorted(POSITIVE_ASSUMPTIONS - set(OPTION_ASSUMPTIONS)))
def test_an_assumption_that_divides_or_scales_is_refused_at_zero(key, capsys):
    line = _refused(["cost", "--assume", f"{key}=0"], capsys)
    assert line == f"sluice: error: --assume {key}=0: must be above 0"


@pytest.mark.parametrize("key", sorted(FRACTION_ASSUMPTIONS))
def test_a_fraction_is_refused_above_one(key, capsys):
    line = _refused(["cost", "--tracing", "--assume", f"{key}=1.5"], capsys)
    assert line == f"sluice: error: --assume {key}=1.5: a fraction, at most 1"
    assert getattr(assume([f"{key}=1"]), key) == 1.0  # all of it is a fraction still


def test_an_assumption_given_twice_is_refused_by_name(capsys):
    line = _refused(["cost", "--assume", "vpc_zones=3", "--assume", "vpc_zones=4"], capsys)
    assert line == "sluice: error: --assume vpc_zones: given twice; give it once"


@pytest.mark.parametrize("text", ["\u0663", "\uff13", "\u0663.5"])  # Arabic-Indic 3, fullwidth 3
def test_a_number_in_other_digits_than_ascii_is_refused(text, capsys):
    line = _refused(["cost", "--assume", f"vpc_zones={text}"], capsys)
    assert line == f"sluice: error: --assume vpc_zones={text}: write the number in ASCII digits"


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "\u0663", "many"])
@pytest.mark.parametrize("option", ["--peak-factor", "--target-latency"])
def test_a_peak_factor_or_latency_that_is_not_a_finite_ascii_number_is_a_usage_error(option, text, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["plan", f"{option}={text}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"sluice plan: error: argument {option}: {text!r} is not a finite number" in err
    assert "Traceback" not in err


def test_the_declared_limits_name_assumptions_their_defaults_keep():
    names = {f.name for f in fields(Assumptions)}
    assert POSITIVE_ASSUMPTIONS | FRACTION_ASSUMPTIONS | set(OPTION_ASSUMPTIONS) <= names
    defaults = Assumptions()
    assert all(getattr(defaults, key) > 0 for key in POSITIVE_ASSUMPTIONS)
    assert all(0 <= getattr(defaults, key) <= 1 for key in FRACTION_ASSUMPTIONS)
