"""hls_abm: how the way public services are organised produces demand, cost and wellbeing.

    >>> from hls_abm import HLSModel
    >>> m = HLSModel(scenario="npm", n_citizens=1000, rng=42)
    >>> m.run_for(52)
    >>> df = m.metrics()
"""

from .levers import LEVERS
from .metrics import OUTPUT_COLUMNS
from .model import HLSModel, twin_worlds
from .params import (
    DOMAINS,
    PARAMS,
    SCENARIOS,
    ParameterError,
    load_params_toml,
    validate_params,
)

__version__ = "0.1.0"

__all__ = [
    "HLSModel",
    "twin_worlds",
    "LEVERS",
    "OUTPUT_COLUMNS",
    "DOMAINS",
    "PARAMS",
    "SCENARIOS",
    "ParameterError",
    "load_params_toml",
    "validate_params",
    "__version__",
]
