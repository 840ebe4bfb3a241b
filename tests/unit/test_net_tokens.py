"""Token plugin, destination policy and the SOCKS5 parser (no Qt, no webR)."""

from __future__ import annotations

import pytest

from webr_desktop.net import socks
from webr_desktop.net.tokens import REFUSED_TARGET, SOCKS_TARGET, DestinationPolicy, TokenPlugin, parse_target


def plugin(mode: str = "all", allow: tuple[str, ...] = ()) -> TokenPlugin:
    return TokenPlugin(secret="s3cret", policy=DestinationPolicy(mode, allow))


def test_right_secret_maps_to_the_target_wrong_secret_is_refused() -> None:
    p = plugin()
    assert p.lookup("s3cret@example.org:80") == ["example.org", 80]
    assert p.lookup("wrong@example.org:80") is None
    assert p.lookup("example.org:80") is None
    assert p.lookup("s3cret@example.org") is None
    assert p.lookup("s3cret@[::1]:8080") == ["::1", 8080]


def test_localhost_8580_is_the_socks_endpoint() -> None:
    assert plugin("public").lookup("s3cret@localhost:8580") == [SOCKS_TARGET, 0]
    assert plugin().lookup("s3cret@127.0.0.1:8580") == [SOCKS_TARGET, 0]


def test_public_policy_blocks_private_ranges_with_a_reason() -> None:
    p = plugin("public")
    assert p.lookup("s3cret@127.0.0.1:22") == [REFUSED_TARGET, 0]
    assert "private" in p.last_refusal
    assert p.lookup("s3cret@10.1.2.3:80") == [REFUSED_TARGET, 0]
    assert p.lookup("s3cret@8.8.8.8:53") == ["8.8.8.8", 53]


def test_allow_list_by_name_port_and_network() -> None:
    p = plugin("list", ("db.internal:5432", "10.0.0.0/8"))
    assert p.lookup("s3cret@10.9.9.9:443") == ["10.9.9.9", 443]
    assert p.lookup("s3cret@192.168.1.1:443") == [REFUSED_TARGET, 0]
    assert "allow list" in p.last_refusal


def test_parse_target_rejects_junk() -> None:
    assert parse_target("a.b:1") == ("a.b", 1)
    assert parse_target("a/b:1") is None
    assert parse_target(":80") is None


def test_socks5_greeting_request_and_reply() -> None:
    assert socks.parse_greeting(b"\x05") is None
    assert socks.parse_greeting(b"\x05\x01\x00") == (b"\x05\x00", 3)
    assert socks.parse_greeting(b"\x05\x01\x02") == (b"\x05\xff", 3)
    with pytest.raises(socks.SocksError):
        socks.parse_greeting(b"\x04\x01\x00")
    name = b"\x05\x01\x00\x03\x0bexample.org\x00\x50extra"
    assert socks.parse_request(name[:8]) is None
    assert socks.parse_request(name) == ("example.org", 80, len(name) - 5)
    assert socks.parse_request(b"\x05\x01\x00\x01\x7f\x00\x00\x01\x1f\x90") == ("127.0.0.1", 8080, 10)
    with pytest.raises(socks.SocksError) as err:
        socks.parse_request(b"\x05\x02\x00\x01\x7f\x00\x00\x01\x1f\x90")  # BIND
    assert err.value.reply == socks.COMMAND_NOT_SUPPORTED
    assert socks.reply(socks.SUCCEEDED) == b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"


def test_no_token_names_a_marker_target_and_only_localhost_8580_is_socks() -> None:
    p = plugin()
    for token in ("s3cret@__socks5__:1234", "s3cret@__socks5__:8580", "s3cret@localhost:1080"):
        assert p.lookup(token) != [SOCKS_TARGET, 0], token
    assert p.lookup(f"s3cret@{SOCKS_TARGET}:8580") is None
    assert p.lookup(f"s3cret@{REFUSED_TARGET}:80") is None
    assert p.lookup("s3cret@[::1]:8580") == [SOCKS_TARGET, 0]


def test_names_the_idna_codec_would_refuse_are_rejected_or_a_policy_error() -> None:
    assert parse_target("bücher.example:80") is None
    assert parse_target("a" * 254 + ":80") is None
    assert parse_target("a.b:99999999") is None
    p = plugin("public")
    assert p.lookup("s3cret@" + "a" * 200 + ".org:80") == [REFUSED_TARGET, 0]  # a label > 63: no crash
    with pytest.raises(socks.SocksError) as err:
        socks.parse_request(b"\x05\x01\x00\x03\x0fb\xc3\xbccher.example\x00\x50")
    assert err.value.reply == socks.HOST_UNREACHABLE
