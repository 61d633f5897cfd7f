"""Bad input on the dashboard (issue 10 item 5 corpus): every bad value gets one line naming the
option and what it accepts, and the page starts with (or keeps) the defaults."""

from __future__ import annotations

import pytest

from hls_abm.dashboard.options import check_amount, check_citizen, check_seed, parse_options

# (address, option named, what the message must say it accepts)
ADDRESS = [
    ("n=5000000", "n=", "500 to 20,000"),
    ("n=-1", "n=", "500 to 20,000"),
    ("n=abc", "n=", "whole number of citizens"),
    ("n=4000.5", "n=", "whole number of citizens"),
    ("n=", "n=", "500 to 20,000"),
    ("scenario=nope", "scenario=", "npm, npm_cuts"),
    ("tab=nope", "tab=", "overview, goodhart, community, journey, explain"),
    ("speed=abc", "speed=", "from 0 to 30"),
    ("speed=-2", "speed=", "from 0 to 30"),
    ("speed=inf", "speed=", "from 0 to 30"),
    ("render_every=0", "render_every=", "from 1 to 26"),
    ("render_every=2.5", "render_every=", "from 1 to 26"),
    ("seed=-1", "seed=", "a whole number in [0,"),
    ("seed=3.5", "seed=", "or a word"),
    ("present=maybe", "present=", "1 or 0"),
    ("smooth=2", "smooth=", "1 or 0"),
    ("colour=red", "colour", "it knows n, seed"),
]


@pytest.mark.parametrize("query, option, allowed", ADDRESS)
def test_bad_address_option_is_named_and_defaults_kept(query, option, allowed):
    opts, problems = parse_options(query)
    assert len(problems) == 1, problems
    assert problems[0].startswith(option) and allowed in problems[0], problems[0]
    assert "\n" not in problems[0]
    key = option.rstrip("=")
    assert key not in opts and {"n": "n_citizens", "present": "presentation"}.get(key, key) not in opts


def test_good_options_pass_and_bad_ones_do_not_spoil_them():
    opts, problems = parse_options("?n=2000&speed=abc&tab=journey&seed=workshop&smooth=0")
    assert opts == {"n_citizens": 2000, "tab": "journey", "seed": "workshop", "smooth": False}
    assert len(problems) == 1 and problems[0].startswith("speed=")


# (typed into the seed box, seed used or None, words the message must carry)
SEEDS = [
    ("", "42", None),
    ("  ", "42", None),
    ("7", "7", None),
    ("room 101", "room 101", None),
    ("-1", None, "a whole number in [0,"),
    ("2.5", None, "or a word"),
    ("nan", None, "empty means 42"),
]


@pytest.mark.parametrize("typed, seed, words", SEEDS)
def test_seed_box(typed, seed, words):
    got, problem = check_seed(typed)
    assert got == seed
    if words is None:
        assert problem is None
    else:
        assert problem.startswith("seed=") and words in problem, problem


# (lever, amount typed, field the message names, range it gives)
AMOUNTS = [
    ("budget_cut", "500", "Cut (% of budget)", "from 0 to 90"),
    ("budget_cut", "-5", "Cut (% of budget)", "from 0 to 90"),
    ("budget_cut", "lots", "Cut (% of budget)", "from 0 to 90"),
    ("budget_cut", "", "Cut (% of budget)", "from 0 to 90"),
    ("switch_to_local_teams", "1.5", "Share of all neighbourhoods", "from 0 to 1"),
    ("recession", "nan", "Severity", "from 0 to 9"),
    ("community_investment", "2", "Investment", "from 0 to 1"),
    ("raise_threshold", "-3", "Change in threshold", "from -1 to 1"),
    ("no_such_lever", "1", "intervention", "Cut the budget"),
]


@pytest.mark.parametrize("lever, typed, field, allowed", AMOUNTS)
def test_custom_amount(lever, typed, field, allowed):
    value, problem = check_amount(lever, typed)
    assert value is None
    assert field in problem and allowed in problem, problem


def test_custom_amount_good():
    assert check_amount("budget_cut", " 35 ") == (35.0, None)


# (citizen number typed, citizens in the world, range the message gives)
CITIZENS = [
    ("4000", 4000, "from 0 to 3,999"),
    ("-1", 4000, "from 0 to 3,999"),
    ("abc", 4000, "whole number"),
    ("2.5", 500, "from 0 to 499"),
    ("", 500, "from 0 to 499"),
]


@pytest.mark.parametrize("typed, n, allowed", CITIZENS)
def test_journey_lookup(typed, n, allowed):
    idx, problem = check_citizen(typed, n)
    assert idx is None
    assert problem.startswith("citizen number=") and allowed in problem, problem


def test_journey_lookup_good():
    assert check_citizen(" 12 ", 500) == (12, None)
