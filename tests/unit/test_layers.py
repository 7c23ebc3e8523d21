"""The house stays drawn: the layers of guidance/ (web -> services -> planning -> rules -> models)
and a pure solver, enforced by import-linter's contracts in .importlinter."""
from pathlib import Path

from importlinter import cli

ROOT = Path(__file__).resolve().parents[2]


def test_no_layer_imports_one_above_it_and_the_solver_stays_pure(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))
    exit_code = cli.lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True)
    report = capsys.readouterr().out
    assert exit_code == cli.EXIT_STATUS_SUCCESS, report
