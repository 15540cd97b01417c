"""Which kernels exist: Jupyter's kernelspecs, as JupyterLab lists them."""

from __future__ import annotations

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from ...errors import Invalid

DEFAULT_KERNEL = "python3"  # nbclient's choice for a notebook that names none


def kernel_language(name: str, field: str = "kernel_name") -> str:
    """The language of kernelspec ``name``; a 400 naming ``field`` when no such kernel is installed."""
    manager = KernelSpecManager()
    try:
        return manager.get_kernel_spec(name).language or ""
    except NoSuchKernel:
        known = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        raise Invalid(f"{field}: no kernel named {name!r} is installed (installed: {known})", field) from None
