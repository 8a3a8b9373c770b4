"""A build that fails while the reasoner's child process is sending its answer ends at once: a process
pool's result thread used to wait for ever on the half-sent answer (and so did the build, at exit)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_build_that_fails_while_the_child_answers_does_not_hang():
    """The build fails (validation) at every moment of the child's life, sending included: a 50 MB
    answer keeps it sending for a while. With a process pool this hung within the first 60 tries."""
    script = textwrap.dedent(
        """
        import time
        from collections import Counter
        from rdflib import Graph
        from karabakh_kg.build import reasoning

        def big(ontology, asserted):
            return Graph(), Counter({"x" * 50_000_000: 1})

        for i in range(80):
            try:
                with reasoning.Background(Graph(), Graph(), big):
                    time.sleep(i * 0.004)
                    raise ValueError("validation failed")
            except ValueError:
                pass
        print("done")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr[-2000:]
