"""The one exception type that reaches a user as a one-line message instead of a traceback."""


class UserError(Exception):
    """A mistake the user can fix: bad input, a missing file, an unknown name.

    The CLI prints ``error: <message>`` on one line and exits with ``exit_code``.
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
