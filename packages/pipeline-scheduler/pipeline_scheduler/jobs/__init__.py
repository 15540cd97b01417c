"""Job definitions: validation, storage, the job list, and jobs defined by runner-config files."""
