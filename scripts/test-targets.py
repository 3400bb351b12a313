#!/usr/bin/python3
"""Print the build targets that the CTest tests with the given labels run.

    scripts/test-targets.py BUILD_DIR LABEL [LABEL...]

Reads `ctest --show-only=json-v1` in BUILD_DIR (a configured and built tree) and prints, one per
line, the file name of every executable inside BUILD_DIR that a selected test's command runs or
passes as an argument (a test script's programs). ronde names each executable after its CMake
target, so the names are targets: scripts/test.sh builds only these in its sanitizer trees
(libraries and programs they depend on come with them).
"""
import json
import os
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    build, labels = os.path.realpath(sys.argv[1]), set(sys.argv[2:])
    listing = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build, check=True,
                             capture_output=True, text=True).stdout
    targets = set()
    for test in json.loads(listing).get("tests", []):
        test_labels = set()
        for prop in test.get("properties", []):
            if prop["name"] == "LABELS":
                test_labels.update(prop["value"])
        if not test_labels & labels:
            continue
        for word in test.get("command", []):
            path = os.path.realpath(word) if os.path.isabs(word) else ""
            if path.startswith(build + os.sep) and os.path.isfile(path) and os.access(path, os.X_OK):
                targets.add(os.path.basename(path))
    if not targets:
        sys.exit(f"test-targets.py: no test labelled {', '.join(sorted(labels))} runs an executable of {build}")
    print("\n".join(sorted(targets)))


if __name__ == "__main__":
    main()
