"""The suite-wide log check (privet.core.tests.logcheck): what it calls a leak, and that a leak
fails the whole run, with and without pytest-xdist."""

from __future__ import annotations

import pytest

from privet.core.tests.logcheck import leaks_in, masked


@pytest.mark.parametrize(("line", "kinds"), [
    ("mail to anna.kowalska+shop@example.com refused", ["email"]),
    ("GET /?email=anna%40example.com", ["email"]),
    ("from 203.0.113.5:51234", ["ip address"]),
    ("from 010.000.000.001", ["ip address"]),
    ("peer [2001:db8::1]:443", ["ip address"]),
    ("token .eJyrVkrOz0vOT8lMz0vOT8lMz0vOTwGiWiPlDnN1dJ1wg7aGwBg:1tAbCd:"
     "q3Zy_abcdefghijklmnopqrstuvwxyz0123456789AB", ["token"]),
    ("archive gAAAAABnQx1k2abcdefghijklmnopqrstuvwxyz", ["token"]),
    ("Authorization: Bearer abc.def-123", ["token"]),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", ["token"]),
    ("refreshing act.1a2b3C4d5E6f7g8H9i0jKLmnopQRstuv!4102", ["token"]),  # TikTok account tokens
    ("with rft.Xy-9_abcdefghijklmnopqrstuvwxyz012345", ["token"]),
    ("headers {'Access-Token': '0123456789abcdef0123456789abcdef01234567'}", ["token"]),
    ('{"access_token": "4f1c2e3d5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}', ["token"]),
])
def test_a_leak_is_found(line, kinds):
    assert sorted({kind for _, _, kind in leaks_in(line)}) == kinds


@pytest.mark.parametrize("line", [
    "mail to [email] refused from ip-ref:70cb81988cd239ae",
    "Listening at: http://127.0.0.1:8000 (1234), also [::1]:8000 and 0.0.0.0",
    '{"timestamp": "2026-12-02T06:03:02.713492Z", "event": "Starting gunicorn 23.0.1"}',
    "Authorization: Bearer [redacted]",
    "sha256:" + "ab" * 32,
    "browser information, operating system and basic technical logs",
    "access_token=tokens.access_token, 'Access-Token': '********'",
    "the contract keeps exact.fields_of_the_account and the act.",
])
def test_what_is_not_a_leak_passes(line):
    assert leaks_in(line) == []


def test_a_secret_of_the_installation_is_a_leak():
    assert leaks_in("key is this-is-the-secret-key", ("this-is-the-secret-key",))[0][2] == "secret"


def test_the_report_shows_the_line_without_what_leaked():
    line = "mail to anna@example.com from 203.0.113.5 refused"
    assert masked(line, leaks_in(line)) == "mail to <<email>> from <<ip address>> refused"


LEAKING = '''
import logging

from privet.core.tests.logcheck import scan_output


def test_a_subprocess_that_logs_an_address():
    scan_output("Invalid request from ip=203.0.113.9 for anna@example.com", "privet serve")


def test_a_line_the_filter_cleans():
    logging.getLogger("privet.demo").warning("mail to %s from %s", "anna@example.com", "203.0.113.9")
'''


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_a_leak_fails_the_run_and_is_shown_masked(pytester, xdist):
    pytester.makepyfile(test_leaking=LEAKING)
    result = pytester.runpytest_subprocess("-p", "privet.core.tests.logcheck", "-p", "no:cacheprovider",
                                           "--ds", "privet.settings_test", *xdist)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*log check: personal data or secrets in the log*",
        "*test_a_subprocess_that_logs_an_address (call) [[]privet serve[]] email, ip address:",
        "    Invalid request from ip=<<ip address>> for <<email>>",
        "log check: 1 leaking line(s) in * log records; the run fails",
    ])
    assert "anna@example.com" not in result.stdout.str() and "203.0.113.9" not in result.stdout.str()


def test_a_clean_run_says_how_much_it_checked(pytester):
    pytester.makepyfile(test_clean='''
import logging

def test_clean():
    logging.getLogger("privet.demo").warning("mail to %s", "anna@example.com")
''')
    result = pytester.runpytest_subprocess("-p", "privet.core.tests.logcheck", "-p", "no:cacheprovider",
                                           "--ds", "privet.settings_test")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["log check: * log records, no email, IP address or token in any line"])
