"""Transfer methods, one module and one class each, registered explicitly."""

from crossrec.methods import (cmf, conet, dann, distill, emcdr,  # noqa: F401  (registration)
                              finetune, popularity, ptupcdr, target_only, vae)
from crossrec.methods.registry import REGISTRY, all_methods, get_method, register

__all__ = ["REGISTRY", "all_methods", "get_method", "register"]
