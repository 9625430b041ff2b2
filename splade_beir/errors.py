"""The one exception type that reaches a user as a one-line message instead of a traceback."""


class UserError(Exception):
    """A mistake the user can fix: bad input, a missing file, an unknown name.

    The CLI prints ``error: <message>`` on one line and exits with ``exit_code``.
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def check_positive_int(value, what: str) -> int:
    """``value`` when it is an integer >= 1 (not a bool), else a UserError ``<what> must be a positive integer``.

    >>> check_positive_int(0, "threads")
    Traceback (most recent call last):
    splade_beir.errors.UserError: threads must be a positive integer, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{what} must be a positive integer, got {value!r}")
    return value
