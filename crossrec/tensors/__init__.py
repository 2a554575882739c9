"""The data layer that methods and evaluation read: a pair's rows as tensors on the training
device (`PairTensors`, `UserItems`) and the vectorised mini-batch samplers."""

from crossrec.tensors.pair_tensors import PairTensors, UserItems  # noqa: F401
