"""Pattern-oriented validation of hls_abm (issue 5; Grimm et al. 2005).

Eleven stylized facts of public services, each as an experiment with a figure and a
set of checks, statistical over seeds:

    p01_failure_demand      failure demand is 30-80% of NPM contacts, lower with local teams
    p02_complexity_crossover silos do well for simple demand, badly for complex demand
    p03_threshold_paradox   tighter eligibility: fewer clients, more crises, higher total cost
    p04_cuts_paradox        a cut in the silos shifts cost to crisis services
    p05_no_free_lunch       fewer hours per client at a higher cost per hour (KPMG 2015)
    p06_continuity          relationships and continuity lower crisis use
    p07_goodhart            the reported KPI holds or rises while the real outcome falls
    p08_turnover_spiral     a small rise in demand tips a stretched team into attrition
    p09_transition_jcurve   switching to local teams costs more first, pays back later
    p10_cost_concentration  a few citizens (complex needs) account for most of the cost
    p11_community           a stronger community lowers demand under both systems

plus ``npm_regions`` (where NPM does as well as or better than local teams) and
``sensitivity`` (the Sobol analysis of experiments/sobol_drivers.toml).

Patterns 2, 3, 4 and 9 and the sensitivity analysis run the existing example
experiments (``experiments/<name>.toml``) and draw their figures with the example's
own ``figure()``; the others have their spec next to this file. Every pattern has a
``small`` version (a few runs, seconds; the default test suite) and a ``full``
version (``pytest -m validation`` and ``run.py``). Every pattern runs under one of the
model's assumption sets (``structural``, ``evidence`` (the default), ``claims``;
``hls_abm.differences``); results, figures and a table of checks go to
``<out>/<set>/<pattern>/``, and ``verdicts_by_set`` tabulates each pattern's verdict per set.

This module is the index: it imports every pattern module in order (each registers itself
with ``@pattern``) and re-exports the framework. The framework (statistics, checks, results,
running, the registry) is in ``framework.py``, the figure helpers in ``figures.py``, and each
pattern in a file of its own named by its id (``p01_failure_demand.py`` ...
``p11_community.py``, ``npm_regions.py``, ``sensitivity.py``). The kinds of check and how
directional checks are judged: see ``framework.py``.
"""

from __future__ import annotations

from framework import (  # noqa: F401  (the framework, re-exported for run.py and the tests)
    EXPERIMENTS, EXTRAS, HERE, LABELS, PATTERNS, ROOT, SETS, SIZES, Check, Ctx, Pattern, Result, Stat, band,
    direction, info, paired, pattern, per_seed, relative, resolve, run_pattern, select, shrink, spec_of, stat,
    checks_markdown, verdicts_by_set, verdicts_markdown,
)

# Importing a pattern module registers it; the order is the order of PATTERNS and EXTRAS.
import p01_failure_demand  # noqa: F401
import p02_complexity_crossover  # noqa: F401
import p03_threshold_paradox  # noqa: F401
import p04_cuts_paradox  # noqa: F401
import p05_no_free_lunch  # noqa: F401
import p06_continuity  # noqa: F401
import p07_goodhart  # noqa: F401
import p08_turnover_spiral  # noqa: F401
import p09_transition_jcurve  # noqa: F401
import p10_cost_concentration  # noqa: F401
import p11_community  # noqa: F401
import npm_regions  # noqa: F401
import sensitivity  # noqa: F401
from p10_cost_concentration import concentration  # noqa: F401
