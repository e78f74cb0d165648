"""Print the README's first two ```sh code blocks, one per line (continuations joined)."""

import re
import sys


def commands(text: str) -> list[str]:
    blocks = re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)[:2]
    return [" ".join(line.rstrip("\\").strip() for line in b.strip().splitlines()) for b in blocks]


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        for cmd in commands(fh.read()):
            print(cmd)
