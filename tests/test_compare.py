from batch_eval.compare import Comparison


def test_default_ignores_cr_blank_lines_and_whitespace_amounts() -> None:
    c = Comparison()
    assert c.compare(b"1 2\n3\n", b"1   2\r\n\n3   \n\n")[0]
    assert c.compare(b"YES\n", b"yes")[0]
    assert c.compare(b"NO\n", b"No\n")[0]


def test_default_keeps_line_structure_and_token_case() -> None:
    c = Comparison()
    ok, reason = c.compare(b"1 2\n", b"1\n2\n")
    assert not ok and "line 1" in reason
    assert not c.compare(b"Alice\n", b"alice\n")[0]
    assert not c.compare(b"3\n", b"3 4\n")[0]


def test_exact_lines_and_tokens_modes() -> None:
    assert not Comparison("exact").compare(b"3\n", b"3")[0]
    assert Comparison("exact").compare(b"3\n", b"3\n")[0]
    assert Comparison("lines").compare(b"\n3\n", b"3   \n\n")[0]
    assert not Comparison("lines").compare(b"1 2\n", b"1  2\n")[0]
    assert Comparison("tokens").compare(b"1 2\n", b"1\n2\n")[0]


def test_float_tolerance_absolute_or_relative() -> None:
    c = Comparison("float", 1e-6)
    assert c.compare(b"0.3333333333\n", b"0.333333")[0]
    assert c.compare(b"1000000000.0", b"1000000100.0")[0]  # relative
    assert not c.compare(b"0.5\n", b"0.51\n")[0]
    assert not c.compare(b"1.0\n", b"nan\n")[0]
    assert c.compare(b"YES 0.5\n", b"yes 0.5000001\n")[0]
