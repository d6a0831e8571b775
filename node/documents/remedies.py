"""Where a decision against the applicant may be challenged, named as its paper must name them.

A 不予受理决定书, or an 办结通知书 whose outcome is 不予, tells the applicant the 行政复议机关 and the
court, not only that they may appeal. The rules (行政复议法, 2023 revision, 第二十四条、第二十七条;
行政诉讼法 第十四条、第十八条), as a rule of thumb for the offices a window serves:
- a department of a county-, city- or province-level government: that government reviews
  (沅江市人民政府); a township's or 街道's decision: the county-level government above it;
- 海关, 金融, 外汇管理, 税务 and 国家安全 (led vertically): the next organ up of their own line;
- the court: the 基层人民法院 where the deciding organ sits, which a county-level division names
  (沅江市人民法院); a city's or province's department sits in a district no code here says, so
  its court is worded by the law that fixes it.
A division's name comes from whoever gathers the facts (node/desk/documents.py); where none is
known the paper words the body by its level rather than naming a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable

from node.documents.facts import Appeal
from wuji.divisions import DivisionCode, Tier

# 行政复议法 第二十七条: reviewed by the next organ up of their own line, not by a local government
VERTICAL = ("海关", "金融", "外汇", "税务", "国家安全")
# rows of the division table that stand in for a tier a place lacks (a municipality's 市辖区)
STAND_INS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# the ends of an office's name after its division's: 沅江市政务服务中心 → 沅江市
OFFICE_SUFFIXES = ("人民政府政务服务中心", "政务服务中心", "政务服务大厅", "便民服务中心", "人民政府")
DIVISION_ENDS = tuple("省市区县旗州盟")


UNNAMED = Appeal("作出本决定的行政机关的本级人民政府", "按照行政诉讼法确定的管辖法院")


def appeal_of(node: str, department: str, division_name: Callable[[str], str]) -> Appeal:
    """The bodies for a decision taken at node by department; division_name(code) gives a division's
    official name (沅江市), or "" where it is not known."""
    try:
        code = DivisionCode.parse(node)
    except ValueError:  # a node named by no code: nothing to name the bodies from
        return UNNAMED
    government = code if code.tier <= Tier.COUNTY else code.ancestor_at(Tier.COUNTY)
    place = _full_name(government, division_name)
    if any(word in department for word in VERTICAL):
        review = "上一级主管部门"
    elif place:
        review = f"{place}人民政府"
    elif government == code:
        review = UNNAMED.review_body
    else:
        review = "所在县（市、区）人民政府"
    court = f"{place}人民法院" if place and government.tier is Tier.COUNTY else UNNAMED.court
    return Appeal(review, court)


def remedy(appeal: Appeal, paper: str = "决定书") -> str:
    """The remedies and their periods, as a decision against the applicant ends; paper: what the
    applicant holds (a 退件通知书 or an 办结通知书 of 不予 is a 通知书), from whose receipt the
    period runs."""
    return (
        f"如不服本决定，可以自收到本{paper}之日起六十日内依法向{appeal.review_body}申请行政复议，"
        f"或者在六个月内依法向{appeal.court}提起行政诉讼。"
    )


def division_of_office(name: str) -> str:
    """The division an office's name begins with (沅江市政务服务中心 → 沅江市), or "" where the
    name is not of that form (琼湖街道便民服务中心 names no county; "430981000000 政务服务中心")."""
    for suffix in OFFICE_SUFFIXES:
        if name.endswith(suffix):
            place = name.removesuffix(suffix)
            if place.endswith(DIVISION_ENDS) and not any(c.isspace() or c.isdigit() for c in place):
                return place
    return ""


def _full_name(code: DivisionCode, division_name: Callable[[str], str]) -> str:
    """A government's division as its name is written: a 市辖区 after its city (深圳市南山区,
    北京市朝阳区); a county, a county-level city or a province by its own name."""
    own = division_name(code.value)
    if not own or own in STAND_INS:
        return ""
    if code.tier is not Tier.COUNTY or not own.endswith("区"):
        return own
    for tier in (Tier.CITY, Tier.PROVINCE):  # a municipality's districts lie under a stand-in city
        above = division_name(code.ancestor_at(tier).value)
        if above in ("省直辖县级行政区划", "自治区直辖县级行政区划"):
            return own  # 神农架林区: under the province directly, named alone
        if above and above not in STAND_INS:
            return own if own.startswith(above) else above + own
    return own
