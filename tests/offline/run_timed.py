"""Runs notebooks like tests/run_notebooks.py and also prints how long the
first Go cell took (the cell after the binding cell): with GoMLX already in
the Go build cache it compiles in seconds, not the minute of a cold cache."""

import datetime
import sys

sys.path.insert(0, "tests")
import run_notebooks  # noqa: E402


def seconds(cell):
    t = cell.get("metadata", {}).get("execution", {})
    start, end = t.get("iopub.execute_input"), t.get("shell.execute_reply")
    if not (start and end):
        return float("nan")
    parse = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


failed = 0
for path in sys.argv[1:]:
    nb, problems, total = run_notebooks.execute(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first_go = seconds(code[1]) if len(code) > 1 else float("nan")
    print(f"{path}: {'ok' if not problems else 'FAILED'} ({total:.1f}s; first Go cell {first_go:.1f}s)")
    for p in problems:
        print("  " + p.replace("\n", "\n  "))
    failed += bool(problems)
print(f"{len(sys.argv) - 1 - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
