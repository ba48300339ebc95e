"""Runs a command in a pseudo-terminal, answers its first prompt, prints what it
wrote, and exits with its exit code.

Usage: python3 pty_run.py ANSWER PROMPT_TEXT -- COMMAND [ARGS...]

Used by the end-to-end tests to exercise obbackup's interactive approval, which
only asks when standard input and standard error are terminals.
"""
import os
import pty
import select
import sys
import time


def main() -> int:
    answer, prompt = sys.argv[1], sys.argv[2]
    command = sys.argv[sys.argv.index("--") + 1 :]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    output = b""
    answered = False
    deadline = time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not answered and prompt.encode() in output:
            os.write(fd, answer.encode() + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(output.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
