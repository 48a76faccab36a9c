"""Names go into generated source only as checked ASCII identifiers."""

from __future__ import annotations

import pytest

from svrules.core.identifiers import checked_identifier
from svrules.engine.tender import TenderValidator, record_spec
from svrules.language import nodes as n


@pytest.mark.parametrize("name", ["a", "_", "_x1", "local_hires_fte", "Z9", "class", "lambda"])
def test_an_identifier_is_itself(name: str) -> None:
    assert checked_identifier(name) == name


@pytest.mark.parametrize(
    "name", ["", "1a", "a-b", "a b", "a\n", "a.b", "é", "a'] or True or x['", "ｆｕｌｌ", "x\u200b"]
)
def test_anything_else_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not an identifier"):
        checked_identifier(name)


def test_a_field_whose_name_is_no_identifier_is_validated_field_by_field() -> None:
    fields = {"bad-name": n.FieldDecl("bad-name", "text"), "ok": n.FieldDecl("ok", "number")}
    spec = record_spec(fields)
    assert spec.fast is None
    tender = TenderValidator(spec, {}, "<tender>").validate(
        {"contract": {"bad-name": "x", "ok": 1}, "bids": [{"bidder": "B"}]}
    )
    assert tender.contract == {"bad-name": "x", "ok": 1}


def test_a_field_named_like_a_keyword_takes_the_fast_path() -> None:
    spec = record_spec({"class": n.FieldDecl("class", "text")})
    assert spec.fast is not None
    assert spec.fast({"class": "x"}, None) == {"class": "x"}
