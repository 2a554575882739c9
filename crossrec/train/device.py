"""Device choice: auto = CUDA, then Apple MPS, then CPU. Torch is imported only when a device
is resolved, so the choices can be checked without it (the dashboard)."""

from __future__ import annotations

from crossrec.errors import SettingError

CHOICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    import torch
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def check_device_name(name: str) -> str:
    if name not in CHOICES:
        raise SettingError(f"unknown device {name!r}; use {', '.join(CHOICES)}")
    return name


def pick_device(name: str = "auto"):
    """The torch.device for a choice; a device that is not here is a SettingError."""
    import torch
    check_device_name(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SettingError("device cuda was asked for, but no CUDA GPU is available here")
    if name == "mps" and not _mps_available():
        raise SettingError("device mps was asked for, but Apple MPS is not available here")
    return torch.device(name)


def available_devices() -> list[dict]:
    """[{'name': 'cpu', 'label': 'CPU (8 threads)'}, {'name': 'cuda', 'label': 'NVIDIA H200'}]."""
    import torch
    out = [{"name": "cpu", "label": f"CPU ({torch.get_num_threads()} threads)"}]
    if torch.cuda.is_available():
        out.append({"name": "cuda", "label": torch.cuda.get_device_name(0)})
    if _mps_available():
        out.append({"name": "mps", "label": "Apple MPS"})
    return out
