"""Transfer methods, one module and one class each, registered explicitly."""

from crossrec.methods import (cmf, emcdr, finetune, popularity,  # noqa: F401  (registration)
                              target_only)
from crossrec.methods.registry import REGISTRY, all_methods, get_method, register

__all__ = ["REGISTRY", "all_methods", "get_method", "register"]
