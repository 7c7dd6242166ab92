import pytest


@pytest.fixture(autouse=True)
def _checkpoints_in_tmp(settings, tmp_path):
    """Local checkpoint files of each test in a folder of its own."""
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "recordings")
