"""The page protocol: every malformed payload is a clear error; good messages survive."""

from __future__ import annotations

import json

import pytest

from webr_desktop.core.messages import Batch, Failed, Message, ProtocolError, Ready, Reply, parse_payload


def test_batch_keeps_good_messages_and_reports_bad_ones() -> None:
    payload = json.dumps({"kind": "messages", "messages": [
        {"type": "stdout", "data": "[1] 2"},
        {"type": "stderr", "data": 5},
        "nonsense",
        {"type": "prompt", "data": "> "},
        {"type": "closed"},
        {"type": "pager", "data": {"path": "/tmp/x", "title": "it's"}},
    ]})
    batch = parse_payload(payload)
    assert isinstance(batch, Batch)
    assert batch.messages == [
        Message("stdout", "[1] 2"), Message("prompt", "> "), Message("closed", {"status": 0}),
        Message("pager", {"path": "/tmp/x", "title": "it's"}),
    ]
    assert len(batch.errors) == 2 and "not text" in batch.errors[0]


@pytest.mark.parametrize("text", ["", "{", "[]", "42", '{"kind": "nope"}', '{"kind": "messages"}',
                                  '{"kind": "reply", "id": "1"}', '{"kind": "reply", "id": true}'])
def test_malformed_payloads_raise_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_payload(text)


def test_reply_ready_failed() -> None:
    assert parse_payload('{"kind":"reply","id":3,"ok":true,"value":[1,2]}') == Reply(3, True, [1, 2], "")
    assert parse_payload('{"kind":"reply","id":4,"ok":false,"error":"boom"}') == Reply(4, False, None, "boom")
    ready = parse_payload('{"kind":"ready","webr_version":"0.6.0","r_version":"4.6.0",'
                          '"channel":"SharedArrayBuffer","isolated":true}')
    assert ready == Ready("0.6.0", "4.6.0", "SharedArrayBuffer", True)
    assert parse_payload('{"kind":"failed","error":"no wasm"}') == Failed("no wasm")


def test_r_error_text_drops_webrs_prefix_only() -> None:
    from webr_desktop.core.messages import r_error_text

    assert r_error_text("Error in unknown source: object 'x' not found") == "object 'x' not found"
    assert r_error_text("Error: boom") == "boom"
    assert r_error_text("a warning: Error: kept") == "a warning: Error: kept"
