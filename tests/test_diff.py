"""Diffs as git format-patch writes them: every file status, and exact line numbers."""

import pytest

from reviewbot.errors import InputError
from reviewbot.parse.diff import parse_diff

DIFF = """\
diff --git a/mm/new.c b/mm/new.c
new file mode 100644
index 0000000..e69de29
--- /dev/null
+++ b/mm/new.c
@@ -0,0 +1,2 @@
+int x;
+int y;
diff --git a/mm/gone.c b/mm/gone.c
deleted file mode 100644
index e69de29..0000000
--- a/mm/gone.c
+++ /dev/null
@@ -1,2 +0,0 @@
-int a;
-int b;
diff --git a/mm/old_name.c b/mm/new_name.c
similarity index 100%
rename from mm/old_name.c
rename to mm/new_name.c
diff --git a/mm/moved.c b/mm/moved2.c
similarity index 90%
rename from mm/moved.c
rename to mm/moved2.c
index 1111111..2222222 100644
--- a/mm/moved.c
+++ b/mm/moved2.c
@@ -10,3 +10,3 @@ static int f(void)
 	int a;
-	return a;
+	return 0;
 }
diff --git a/mm/tail.c b/mm/tail.c
index 3333333..4444444 100644
--- a/mm/tail.c
+++ b/mm/tail.c
@@ -5,2 +5,3 @@ void g(void)
 	h();
-}
\\ No newline at end of file
+	i();
+}
diff --git a/mm/empty.c b/mm/empty.c
new file mode 100644
index 0000000..e69de29
diff --git a/img.png b/img.png
new file mode 100644
index 0000000..5555555
Binary files /dev/null and b/img.png differ
"""


def test_every_file_status() -> None:
    files = {f.path: f for f in parse_diff(DIFF)}
    assert files["mm/new.c"].status == "added" and files["mm/new.c"].old_path is None
    assert files["mm/new.c"].added() == {1: "int x;", 2: "int y;"}
    assert files["mm/gone.c"].status == "removed" and files["mm/gone.c"].added() == {}
    assert files["mm/new_name.c"].status == "renamed" and files["mm/new_name.c"].hunks == ()
    assert files["mm/new_name.c"].old_path == "mm/old_name.c"
    moved = files["mm/moved2.c"]
    assert (moved.status, moved.old_path, moved.added()) == (
        "renamed",
        "mm/moved.c",
        {11: "\treturn 0;"},
    )
    assert moved.hunks[0].section == "static int f(void)"
    assert files["mm/empty.c"].status == "added" and files["mm/empty.c"].hunks == ()
    assert files["img.png"].binary


def test_no_newline_marker_is_not_a_line() -> None:
    tail = next(f for f in parse_diff(DIFF) if f.path == "mm/tail.c")
    lines = [(ln.kind, ln.text, ln.old, ln.new) for ln in tail.hunks[0].lines]
    assert lines == [
        (" ", "\th();", 5, 5),
        ("-", "}", 6, None),
        ("+", "\ti();", None, 6),
        ("+", "}", None, 7),
    ]
    assert tail.post_line_map()[7].text == "}"


def test_malformed_diff_names_the_input() -> None:
    with pytest.raises(InputError, match="patch 3: malformed diff"):
        parse_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n garbage\n", "patch 3")
