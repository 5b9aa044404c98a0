"""The command line, run in-process."""
from xorbench.bench.cli import main


def test_list_shows_every_backend_and_c_flags(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("python", "numpy", "numba", "c"):
        assert f"\n{name} " in "\n" + out
    assert "-ffp-contract=off" in out and "N/A" not in out


def test_train_prints_predictions_loss_and_speed(capsys):
    assert main(["train", "--backend", "c", "--epochs", "2000", "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "final loss" in out and "epochs/s" in out
    assert out.count("\n  0   0   0") == 1


def test_train_rejects_bad_lr(capsys):
    assert main(["train", "--backend", "python", "--lr", "-1", "--epochs", "1"]) == 2
    assert "lr must be finite and > 0" in capsys.readouterr().err
