"""The command line, run in-process."""
import xorbench
from xorbench.bench.cli import main


def test_list_shows_every_backend_and_c_flags(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    lines = {ln.split()[0]: ln for ln in out.splitlines() if ln and not ln.startswith(" ")}
    assert set(lines) == set(xorbench.names())
    for name in xorbench.names():  # every core backend loads; anything else loads or says why and how to fix it
        assert " ok " in lines[name] if name in xorbench.CORE else (" ok " in lines[name] or "Fix:" in lines[name])
    assert "-ffp-contract=off" in out


def test_train_prints_predictions_loss_and_speed(capsys):
    assert main(["train", "--backend", "c", "--epochs", "2000", "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "final loss" in out and "epochs/s" in out
    assert out.count("\n  0   0   0") == 1


def test_train_rejects_bad_lr(capsys):
    assert main(["train", "--backend", "python", "--lr", "-1", "--epochs", "1"]) == 2
    assert "lr must be finite and > 0" in capsys.readouterr().err
