"""One data directory for models, media and the database, whatever the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from roost import paths


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ROOST_DATA_DIR", "ROOST_MEDIA_DIR", "ROOST_MODEL_CACHE", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)


def test_a_checkout_is_its_own_data_dir_from_any_working_directory(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert paths.data_dir() == paths.CHECKOUT_ROOT and (paths.CHECKOUT_ROOT / "pyproject.toml").is_file()
    assert paths.model_cache_dir() == paths.CHECKOUT_ROOT / "model_cache"
    assert paths.media_dir() == paths.CHECKOUT_ROOT / "media"


def test_data_dir_env_moves_everything_and_the_old_variables_still_win(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOST_DATA_DIR", str(tmp_path / "state"))
    assert paths.model_cache_dir() == tmp_path / "state" / "model_cache"
    assert paths.media_dir() == tmp_path / "state" / "media"
    assert tmp_path / "state" / "config" / "config.yml" in paths.default_config_files()
    monkeypatch.setenv("ROOST_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.setenv("ROOST_MEDIA_DIR", "relative-media")
    monkeypatch.chdir(tmp_path)
    assert paths.model_cache_dir() == tmp_path / "models"
    assert paths.media_dir() == tmp_path / "relative-media"  # made absolute at once


def test_an_installed_package_uses_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "CHECKOUT_ROOT", tmp_path / "site-packages")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.data_dir() == tmp_path / "xdg" / "roost"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert paths.data_dir() == Path.home() / ".local" / "share" / "roost"
