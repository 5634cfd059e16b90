"""Error types. The CLI prints `str(error)` for these, never a traceback."""


class LoaderError(Exception):
    """Base class for every error the command line reports as a one-line message."""

    exit_code = 1


class UserError(LoaderError):
    """Bad input from the person or scheduler calling us: a missing file, a bad URL, ..."""

    exit_code = 2


class TransientError(LoaderError):
    """The database went away or is busy; the same call may succeed later."""

    exit_code = 75  # EX_TEMPFAIL: schedulers treat it as "try again"


class TerminalError(LoaderError):
    """The database refused the work for a reason a retry will not fix."""

    exit_code = 1
