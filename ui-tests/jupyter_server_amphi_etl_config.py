"""Jupyter Server configuration of the browser tests with the real Amphi ETL (tests/amphi-etl.spec.ts).

The test server of the other browser tests (jupyter_server_test_config.py: FOR TESTS ONLY, no auth,
127.0.0.1, a temporary root), started the way ``amphi start`` starts JupyterLab: with hidden files
served by the contents API, where Amphi's Components panel reads ``.amphi/components/``.
"""

load_subconfig("jupyter_server_test_config.py")  # noqa: F821 (provided by Jupyter when it loads this file)

c = get_config()  # noqa: F821
c.ContentsManager.allow_hidden = True
c.FileContentsManager.allow_hidden = True
