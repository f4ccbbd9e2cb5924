"""A training run as both training commands do it: checkpoints, Ctrl-C, and a
final save that may fail (a full disk) without losing the finished training."""

import os
import signal
import tempfile
from pathlib import Path

import click

from w2v.errors import OutputError


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled as Ctrl-C is: training stops after the batches
    in flight, a save in progress is abandoned cleanly, and the user is told."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stop_on_termination() -> dict:
    """Make SIGTERM and SIGHUP raise `Stopped` in the main thread; return the
    handlers they had, for `restore_handlers` (the CLI may run inside another
    program, e.g. a test runner, whose handlers must survive it)."""
    def stop(signum, frame):
        raise Stopped(signum)
    return {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGHUP)}


def restore_handlers(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def exit_status(interruption: KeyboardInterrupt) -> int:
    """What a shell reports for a process ended by that signal: 128 + its number."""
    return 128 + getattr(interruption, "signum", signal.SIGINT)


def stopped_word(interruption: KeyboardInterrupt) -> str:
    return "terminated" if isinstance(interruption, Stopped) else "interrupted"


def train_and_save(ctx, model, train, output, *, checkpoint: bool, resume_command: str):
    """Run ``train(on_epoch_end)``, then save ``model`` to ``output``.

    Whatever stops it, the user is told in one line what was kept: Ctrl-C
    (or SIGTERM, SIGHUP) during training or the save exits with status 130
    (143, 129); a checkpoint or final
    save that fails is an error that says where the work is, if anywhere.
    ``resume_command`` is the command that finishes a checkpointed run.
    """
    def save_checkpoint(trained):
        try:
            trained.save(output)
        except OutputError as error:
            epoch = trained.run_["completed"]
            raise click.ClickException(
                f"training stopped: the checkpoint after epoch {epoch} could not be saved to "
                f"{output} ({error.reason}); {_kept(output, checkpoint)}") from None

    try:
        train(save_checkpoint if checkpoint else None)
    except KeyboardInterrupt as stop:
        click.echo(f"\n{stopped_word(stop)}; {_kept(output, checkpoint, resume_command)}", err=True)
        ctx.exit(exit_status(stop))
    try:
        model.save(output)
    except KeyboardInterrupt as stop:
        click.echo(f"\n{stopped_word(stop)} while saving: the model was NOT saved to {output}; "
                   f"{_kept(output, checkpoint, resume_command)}", err=True)
        ctx.exit(exit_status(stop))
    except OutputError as error:
        raise click.ClickException(
            f"the model was NOT saved to {output} ({error.reason}); {_rescue(model, output)}") from None


def _kept(output, checkpoint, resume_command=None) -> str:
    """What an interrupted run leaves behind, and how to go on from it."""
    if checkpoint and Path(output).is_file():
        finish = f": finish with `{resume_command}`" if resume_command else ""
        return f"{output} holds the last completed epoch{finish}"
    return "nothing was saved (--checkpoint keeps every completed epoch)"


def _rescue(model, output) -> str:
    """Save the trained model in the temporary folder when that is on another
    file system than ``output`` (a full disk there need not be full here)."""
    folder = Path(tempfile.gettempdir())
    target = folder / f"w2v-rescued-{os.getpid()}-{Path(output).name}"
    try:
        if os.stat(folder).st_dev == os.stat(Path(output).resolve().parent).st_dev:
            return "the temporary folder is on the same disk, so nothing could be kept"
        model.save(target)
    except (OSError, OutputError):
        return "it could not be saved elsewhere either"
    return f"the trained model was saved to {target} instead"
