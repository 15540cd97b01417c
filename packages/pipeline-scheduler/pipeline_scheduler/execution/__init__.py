"""How runs happen: the run manager, processes, prestarted interpreters, executors per target kind."""
