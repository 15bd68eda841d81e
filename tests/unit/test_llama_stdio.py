"""Lines Hearsay prints while llama.cpp loads a model in another thread reach the terminal (``app.core.llm.llama_logs``).

llama-cpp-python (``verbose=False``) points the whole process's stdout and
stderr at /dev/null during a load; a batch prints a bad file's error while
the LLM loads in the background, and that line used to vanish.
"""

import sys
import threading
import time

from app.core.llm.runner import LlamaPromptRunner


def test_lines_printed_while_the_llm_loads_reach_stderr(capfd):
    runner = LlamaPromptRunner(device="cpu", context_window=512)
    loader = threading.Thread(target=runner.load)
    loader.start()
    printed = 0
    while loader.is_alive() or not printed:
        print(f"hearsay: line {printed}", file=sys.stderr)
        printed += 1
        time.sleep(0.001)  # pacing only: about a line a millisecond for as long as the load takes
    loader.join()
    assert runner.n_ctx == 512  # the model did load meanwhile
    runner.close()
    got = capfd.readouterr().err.splitlines()
    assert len(got) == printed, f"{printed - len(got)} of {printed} lines were lost"
    assert got == [f"hearsay: line {n}" for n in range(printed)]
