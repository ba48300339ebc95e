"""Runs a command in a pseudo-terminal, types into it when its screen shows
given texts, prints what it wrote, and exits with its exit code.

Usage:
  python3 pty_run.py ANSWER PROMPT_TEXT -- COMMAND [ARGS...]
      types ANSWER and Enter once PROMPT_TEXT appears.
  python3 pty_run.py --steps JSON -- COMMAND [ARGS...]
      JSON is a list of [TEXT, KEYS] pairs, done in order: once TEXT has
      appeared (after the previous step), KEYS are typed; "\\u0003" is
      Ctrl-C, which the terminal turns into SIGINT for the command.

Used by the end-to-end tests to exercise what obbackup does on a terminal:
the interactive approval (it asks only when standard input and standard
error are terminals) and Ctrl-C during an apply.
"""
import json
import os
import pty
import select
import sys
import time


def main() -> int:
    separator = sys.argv.index("--")
    if sys.argv[1] == "--steps":
        steps = [(text.encode(), keys.encode()) for text, keys in json.loads(sys.argv[2])]
    else:
        steps = [(sys.argv[2].encode(), sys.argv[1].encode() + b"\n")]
    command = sys.argv[separator + 1 :]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    output = b""
    seen = 0  # where the next step's text is looked for
    deadline = time.time() + 90
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if steps:
            text, keys = steps[0]
            at = output.find(text, seen)
            if at >= 0:
                os.write(fd, keys)
                seen = at + len(text)
                steps.pop(0)
    if time.time() >= deadline:
        # Past the deadline: the test fails with what the screen showed, and
        # no process is left behind.
        os.kill(pid, 9)
        output += b"\n[pty_run: killed at the deadline]\n"
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(output.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
