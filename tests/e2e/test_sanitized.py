"""fntrace built with ASan and UBSan (build/san/fntrace, which `make check` builds) on the cases
where the tracer had a memory error or undefined behaviour that the plain build did not show. Any
sanitizer report ends fntrace with a message on stderr."""
import os

import pytest

from conftest import ROOT, prog, run

FNTRACE_SAN = os.path.join(ROOT, "build", "san", "fntrace")
SAN_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", UBSAN_OPTIONS="print_stacktrace=1")


def run_san(args, tmp_path):
    if not os.path.exists(FNTRACE_SAN):
        pytest.fail(f"{FNTRACE_SAN} is missing: run 'make build/san/fntrace'")
    return run(args, tmp_path, env=SAN_ENV, fntrace=FNTRACE_SAN)


# With -i t_*, every traced first instruction is emulated (endbr64 in a -cf build), so no scratch
# region is ever mapped: a fork child used to get its parent's empty scratch list copied from NULL.
@pytest.mark.parametrize("variant", ["gcc-spie-O0-cf", "clang-static-O0-cf"])
@pytest.mark.parametrize("follow", [[], ["-f"]], ids=["released", "followed"])
def test_fork_without_scratch(tmp_path, variant, follow):
    r = run_san(follow + ["--flat", "-i", "t_*", prog(variant, "forks"), "fork"], tmp_path)
    assert (r.rc, r.stdout, r.stderr) == (0, "in child 2\nfork child exited 7\n", "")
