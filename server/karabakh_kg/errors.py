"""Typed errors that the commands turn into clear messages and exit codes (never stack traces)."""


class InputError(Exception):
    """The data, ontology or article is wrong: exit code 1, message names file:line or the node."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))

    def __reduce__(self):  # keep the list of problems when raised in a worker process
        return (type(self), (self.problems,))


class OutputError(Exception):
    """The build could not be written (e.g. the build folder is not writable): exit code 1."""
