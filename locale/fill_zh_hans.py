"""Fill the Simplified Chinese catalogue's plural entries: its msgids are the Chinese text, and `msgen` leaves
`msgstr[0]` empty when the language has one plural form. Run by `make messages` after `msgen`."""

import re
import sys
from pathlib import Path

# An empty msgstr[0] is `msgstr[0] ""` with no continuation line: a long filled one also starts with `""`.
ENTRY = re.compile(r'(^msgid (".*"(?:\n".*")*)\nmsgid_plural .*(?:\n".*")*\n)msgstr\[0\] ""\n(?!")', re.M)


def fill(path):
    text = path.read_text(encoding="utf-8")
    filled, count = ENTRY.subn(lambda m: f"{m[1]}msgstr[0] {m[2]}\n", text)
    path.write_text(filled, encoding="utf-8")
    return count


if __name__ == "__main__":
    print(f"{fill(Path(sys.argv[1]))} plural entries filled")
