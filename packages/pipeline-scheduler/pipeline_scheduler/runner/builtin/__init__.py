"""The built-in plugins: ``os``, ``python``, ``lifetime``, ``env``, ``http``, ``notify``."""

from .command import OsPlugin, PythonPlugin
from .environment import EnvPlugin
from .lifetime import LifetimePlugin
from .web import HttpPlugin, NotifyPlugin

BUILTIN_PLUGINS = (OsPlugin, PythonPlugin, LifetimePlugin, EnvPlugin, HttpPlugin, NotifyPlugin)

__all__ = ["BUILTIN_PLUGINS", "EnvPlugin", "HttpPlugin", "LifetimePlugin", "NotifyPlugin", "OsPlugin", "PythonPlugin"]
