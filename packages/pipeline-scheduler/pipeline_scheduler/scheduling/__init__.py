"""When jobs fire: triggers, APScheduler wiring, its job store, and jobs that wait on other jobs."""
