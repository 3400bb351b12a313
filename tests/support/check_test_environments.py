#!/usr/bin/env python3
"""Fails when a test could send a request to the real instance metadata endpoints.

    check_test_environments.py CTEST SOURCE_DIR BUILD_DIR

Reads the tests registered in BUILD_DIR (`CTEST --show-only=json-v1`) and checks the ENVIRONMENT
of every test in scope: unless it is set as below, a test inherits whatever the shell or the CI
runner exports, and a credential chain or spot-notice poller built from the process environment
goes to 169.254.169.254 or 169.254.170.2.

  - EC2 instance metadata (credentials): AWS_EC2_METADATA_DISABLED true, or
    AWS_EC2_METADATA_SERVICE_ENDPOINT on 127.0.0.1 / localhost / [::1];
  - container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI set to empty (a relative URI is
    always resolved against 169.254.170.2), and AWS_CONTAINER_CREDENTIALS_FULL_URI empty or on
    loopback;
  - the spot-notice poller: RONDE_SPOT_POLL_SECONDS=0 (off), or RONDE_SPOT_NOTICE_ENDPOINT on
    loopback.

cmake/RondeTestEnvironment.cmake's RONDE_TEST_OFFLINE_ENV sets all of them.

Scope: the tests registered from these directories of tests/ (found from the CMake file that
registered the test, the program it runs or its working directory), whose programs link the
checkpoint layer: the credential chain (an s3:// storage opened from the process environment),
the Checkpointer and ronde-ckpt (which read InterruptionOptions and StorageOptions from it), or
the spot-notice poller:

  aws, checkpoint, checkpointer, s3, storage, training (the Checkpointer in checkpoint_state_test),
  ps (ronde-ps-server's --checkpoint takes s3:// URIs), examples (digits_mlp, spot_resume,
  sagemaker and ps_training run the Checkpointer and ronde-ckpt), cluster (the same programs
  across emulated hosts, the Checkpointer on S3 among them).

Out of scope, because none of their programs builds a credential chain or starts the poller:
tests registered in tests/CMakeLists.txt itself (the unit tests; SigV4 signing only), mpi,
engine, gpu (its Checkpointer test turns interruption handling off and writes to a directory),
install and consumer. A test directory whose programs reach the checkpoint layer belongs in
IN_SCOPE below.

Not covered here: a test that builds a chain or a poller from its own MapEnvironment (tests/aws,
tests/checkpoint) chooses its endpoints in code. The gtest programs of the scope therefore link
tests/support/loopback_only.cc (ronde_test_stays_on_loopback), which aborts the test on any
connection that is not to loopback.

The script first checks itself on made-up tests (a violation of each rule must be caught), then
the real ones. Exit status 0 when every test in scope is safe, 1 otherwise (naming each test and
what it lacks), 2 on a usage or CTest error.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

IN_SCOPE = {"aws", "checkpoint", "checkpointer", "s3", "storage", "training", "ps", "examples", "cluster"}
TRUE = {"1", "true", "yes", "on"}  # core/src/env.cc parse_bool


def is_loopback_url(url):
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return False
    return host == "localhost" or host == "::1" or host.startswith("127.")


def environment_of(test):
    """The variables the test's ENVIRONMENT (and ENVIRONMENT_MODIFICATION) sets; None for a
    variable the test unsets, which then counts as set to empty."""
    env = {}
    for prop in test.get("properties", []):
        if prop["name"] == "ENVIRONMENT":
            for entry in prop["value"]:
                name, _, value = entry.partition("=")
                env[name] = value
        elif prop["name"] == "ENVIRONMENT_MODIFICATION":
            for entry in prop["value"]:
                name, _, operation = entry.partition("=")
                op, _, value = operation.partition(":")
                if op == "set":
                    env[name] = value
                elif op == "unset":
                    env[name] = ""
                else:  # reset, or a list/path operation on an inherited value: not neutralised
                    env.pop(name, None)
    return env


def problems_of(env):
    """What lets this environment reach a real metadata endpoint; empty when nothing does."""
    problems = []
    disabled = env.get("AWS_EC2_METADATA_DISABLED", "").strip().lower() in TRUE
    if not disabled and not is_loopback_url(env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT", "")):
        problems.append("EC2 instance metadata on (set AWS_EC2_METADATA_DISABLED=true)")
    if env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "":
        problems.append("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI not emptied (it would reach 169.254.170.2)")
    full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if full is None or (full != "" and not is_loopback_url(full)):
        problems.append("AWS_CONTAINER_CREDENTIALS_FULL_URI neither emptied nor on 127.0.0.1")
    poll = env.get("RONDE_SPOT_POLL_SECONDS")
    try:
        poller_off = poll is not None and float(poll) == 0
    except ValueError:
        poller_off = False
    if not poller_off and not is_loopback_url(env.get("RONDE_SPOT_NOTICE_ENDPOINT", "")):
        problems.append("spot-notice poller not off (set RONDE_SPOT_POLL_SECONDS=0)")
    return problems


def directory_of(test, files, nodes, source_tests, build_tests):
    """The directory of tests/ the test belongs to ("" for tests/ itself), or None if outside."""
    candidates = []
    if "backtrace" in test:  # the innermost node is the add_test() call
        candidates.append((Path(files[nodes[test["backtrace"]]["file"]]).parent, source_tests))
    if test.get("command"):
        candidates.append((Path(test["command"][0]).parent, build_tests))
    for prop in test.get("properties", []):
        if prop["name"] == "WORKING_DIRECTORY":
            candidates.append((Path(prop["value"]), build_tests))
    found = None
    for path, root in candidates:
        try:
            parts = path.resolve().relative_to(root.resolve()).parts
        except ValueError:
            continue
        directory = parts[0] if parts else ""
        if directory in IN_SCOPE:
            return directory
        found = directory if found is None else found
    return found


def check(listing, source_dir, build_dir):
    """(tests checked, names not built, [(name, problems)])."""
    graph = listing.get("backtraceGraph", {})
    files, nodes = graph.get("files", []), graph.get("nodes", [])
    checked, not_built, failures = 0, [], []
    for test in listing["tests"]:
        directory = directory_of(test, files, nodes, Path(source_dir) / "tests", Path(build_dir) / "tests")
        if directory not in IN_SCOPE:
            continue
        if not test.get("command"):  # gtest_discover_tests' placeholder for a binary not built
            not_built.append(test["name"])
            continue
        checked += 1
        problems = problems_of(environment_of(test))
        if problems:
            failures.append((test["name"], problems))
    return checked, not_built, failures


def self_test():
    """The rules catch what they must: each made-up test breaks one rule."""
    good = ["AWS_EC2_METADATA_DISABLED=true", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI=", "RONDE_SPOT_POLL_SECONDS=0"]
    cases = {
        "good": (good, 0),
        "good-with-fakes": (["AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:8080/",
                             "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=",
                             "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://localhost:9/creds",
                             "RONDE_SPOT_NOTICE_ENDPOINT=http://127.0.0.1:9"], 0),
        "nothing": (["RONDE_LOG_LEVEL=warn"], 4),
        "imds-on": ([e for e in good if not e.startswith("AWS_EC2")], 1),
        "imds-false": (good[1:] + ["AWS_EC2_METADATA_DISABLED=false"], 1),
        "imds-remote": (good[1:] + ["AWS_EC2_METADATA_SERVICE_ENDPOINT=http://169.254.169.254"], 1),
        "relative-set": (good + ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/x"], 1),
        "full-remote": (good + ["AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/c"], 1),
        "poller-on": (good + ["RONDE_SPOT_POLL_SECONDS=5"], 1),
    }
    build = Path("/build")
    listing = {"tests": [{"name": name, "command": [str(build / "tests/aws/t")],
                          "properties": [{"name": "ENVIRONMENT", "value": env}]}
                         for name, (env, _) in cases.items()]}
    listing["tests"].append({"name": "unsafe-but-out-of-scope", "command": [str(build / "tests/mpi/t")],
                             "properties": [{"name": "ENVIRONMENT", "value": []}]})
    listing["tests"].append({"name": "unset-by-modification", "command": [str(build / "tests/s3/t")],
                             "properties": [{"name": "ENVIRONMENT", "value": good[:1] + good[3:]},
                                            {"name": "ENVIRONMENT_MODIFICATION",
                                             "value": ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=unset:",
                                                       "AWS_CONTAINER_CREDENTIALS_FULL_URI=unset:"]}]})
    cases["unset-by-modification"] = (None, 0)
    checked, _, failures = check(listing, "/source", str(build))
    found = {name: len(problems) for name, problems in failures}
    wrong = [name for name, (_, expected) in cases.items() if found.get(name, 0) != expected]
    if checked != len(cases) or wrong:
        print(f"check_test_environments.py: its own rules are broken (checked {checked} of {len(cases)}; "
              f"wrong verdict for {wrong}: {found})", file=sys.stderr)
        return False
    return True


def main(argv):
    if len(argv) != 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    ctest, source_dir, build_dir = argv[1:]
    if not self_test():
        return 1
    # From a directory of its own that includes the build tree: CTest writes
    # Testing/Temporary/LastTest.log where it runs, and in the build directory it would clobber the
    # log of the CTest run this check is part of.
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "CTestTestfile.cmake").write_text(f"subdirs([==[{Path(build_dir).resolve()}]==])\n")
        result = subprocess.run([ctest, "--show-only=json-v1"], cwd=scratch, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"{ctest} --show-only=json-v1 failed:\n{result.stderr}", file=sys.stderr)
        return 2
    checked, not_built, failures = check(json.loads(result.stdout), source_dir, build_dir)
    if checked == 0:
        print("no test in scope was found: is the build directory right?", file=sys.stderr)
        return 1
    for name, problems in failures:
        print(f"{name}: " + "; ".join(problems))
    if failures:
        print(f"{len(failures)} of {checked} tests in scope could reach the real metadata endpoints: add "
              "${RONDE_TEST_OFFLINE_ENV} to their ENVIRONMENT (cmake/RondeTestEnvironment.cmake; for the cases "
              "gtest_discover_tests finds, ronde_discovered_tests_environment)")
        return 1
    note = f"; {len(not_built)} not built, not checked ({', '.join(not_built)})" if not_built else ""
    print(f"{checked} tests in scope ({', '.join(sorted(IN_SCOPE))}), none can reach the real metadata endpoints{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
