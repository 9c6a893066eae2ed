"""Checks and normal forms of employee-master values, shared by the API, the pages and
the file imports, so all three accept and refuse exactly the same things.

Pure: no I/O. Each checker returns the normal form or raises `ValueError` with a reason
a person can act on ("not a date (YYYY-MM-DD)"); `FieldError` pins a reason to a field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import jaconv

from daiko.employees.models import (
    ACCOUNT_TYPES,
    ALLOWANCE_KINDS,
    EI_INDUSTRIES,
    EMPLOYMENT_TYPES,
    GENDERS,
    INSURER_KINDS,
    PAY_BASES,
    WITHHOLDING_COLUMNS,
)
from daiko.security.my_number import is_valid_my_number, normalize_my_number
from daiko.tenancy.prefectures import find_prefecture

MAX_YEN = 100_000_000
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
# Full-width katakana, the long-vowel mark, the middle dot and spaces.
_KANA = re.compile(r"^[\u30a1-\u30f6\u30fc\u30fb\u3000 ]+$")
# 全銀 half-width characters allowed in a transfer name (JIS X 0201 subset).
_BANK_KANA = re.compile(r"^[\uff66-\uff9f0-9A-Z ().\-/\\\uff62\uff63]+$")
_SMALL_TO_LARGE = str.maketrans("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ")


JST = ZoneInfo("Asia/Tokyo")


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


# --- words people write for our codes ------------------------------------------------

ALIASES: dict[str, dict[str, str]] = {
    "employment_type": {
        "正社員": "regular",
        "正規": "regular",
        "契約社員": "contract",
        "契約": "contract",
        "パート": "part_time",
        "アルバイト": "part_time",
        "パート・アルバイト": "part_time",
        "嘱託": "temporary",
        "臨時": "temporary",
        "役員": "executive",
    },
    "pay_basis": {"月給": "monthly", "日給": "daily", "時給": "hourly"},
    "gender": {"男": "male", "男性": "male", "女": "female", "女性": "female", "その他": "other"},
    "withholding_column": {"甲": "kou", "甲欄": "kou", "乙": "otsu", "乙欄": "otsu"},
    "account_type": {"普通": "1", "当座": "2", "貯蓄": "4"},
    "employment_insurance_industry": {
        "一般": "general",
        "一般の事業": "general",
        "農林水産": "agriculture",
        "農林水産・清酒製造": "agriculture",
        "建設": "construction",
        "建設の事業": "construction",
    },
    "insurer_kind": {"協会けんぽ": "kyoukai", "健保組合": "society", "組合": "society"},
}
CHOICES: dict[str, tuple[str, ...]] = {
    "employment_type": EMPLOYMENT_TYPES,
    "pay_basis": PAY_BASES,
    "gender": GENDERS,
    "withholding_column": WITHHOLDING_COLUMNS,
    "account_type": ACCOUNT_TYPES,
    "employment_insurance_industry": EI_INDUSTRIES,
    "insurer_kind": INSURER_KINDS,
}


def choice(field: str, value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    options = CHOICES[field]
    if text.lower() in options:
        return text.lower()
    mapped = ALIASES.get(field, {}).get(text)
    if mapped is not None:
        return mapped
    _refuse(f"one of {', '.join(options)}")


def _refuse(reason: str) -> NoReturn:
    raise ValueError(reason)


# --- scalars -------------------------------------------------------------------------


def has_control(value: str) -> bool:
    """NUL and other control characters (PostgreSQL text refuses NUL outright)."""
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def text(value: str, *, max_length: int, required: bool = True) -> str | None:
    if value and has_control(value):
        _refuse("control characters are not allowed")
    cleaned = unicodedata.normalize("NFKC", value).strip() if value else ""
    cleaned = re.sub(r"\s+", " ", cleaned)
    if not cleaned:
        if required:
            _refuse("required")
        return None
    if len(cleaned) > max_length:
        _refuse(f"at most {max_length} characters")
    return cleaned


def employee_code(value: str) -> str:
    code = unicodedata.normalize("NFKC", value or "").strip()
    if not code:
        _refuse("required")
    if not CODE.match(code):
        _refuse("letters, digits, '.', '_' or '-', at most 32")
    return code


def kana(value: str, *, max_length: int = 50) -> str:
    """Full-width katakana (ヤマダ). Hiragana and half-width kana are converted."""
    folded = unicodedata.normalize("NFKC", value or "").strip()
    folded = jaconv.hira2kata(re.sub(r"\s+", "\u3000", folded))
    if not folded:
        _refuse("required")
    if not _KANA.match(folded):
        _refuse("katakana only (カタカナ)")
    if len(folded) > max_length:
        _refuse(f"at most {max_length} characters")
    return folded


def bank_kana(value: str, *, max_length: int = 30) -> str:
    """Half-width kana for 全銀 files (ﾔﾏﾀﾞ ﾀﾛｳ): small kana become large, latin upper."""
    folded = unicodedata.normalize("NFKC", value or "").strip()
    folded = jaconv.hira2kata(folded)
    half = jaconv.z2h(folded, kana=True, ascii=True, digit=True).upper()
    half = re.sub(r"\s+", " ", half).translate(_SMALL_TO_LARGE)
    if not half:
        _refuse("required")
    if not _BANK_KANA.match(half):
        _refuse("half-width kana, A-Z, digits, space and ().-/ only")
    if len(half) > max_length:
        _refuse(f"at most {max_length} half-width characters")
    return half


def holder_name_of(family_kana: str, given_kana: str) -> str:
    """The transfer name derived from the kana name: `ヤマダ`, `タロウ` → `ﾔﾏﾀﾞ ﾀﾛｳ`."""
    return bank_kana(f"{family_kana} {given_kana}")


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = unicodedata.normalize("NFKC", str(value or "")).strip()
    for pattern in (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", r"^(\d{4})/(\d{1,2})/(\d{1,2})$"):
        m = re.match(pattern, raw)
        if m:
            break
    else:
        m = re.match(r"^(\d{4})(\d{2})(\d{2})$", raw) or re.match(
            r"^(\d{4})年(\d{1,2})月(\d{1,2})日$", raw
        )
    if not m:
        _refuse("not a date (YYYY-MM-DD)")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        _refuse("no such day")


def parse_month(value: Any) -> dt.date:
    """`2026-11`, `2026/11`, `202611`, `2026年11月` or a date → the first of that month."""
    if isinstance(value, dt.datetime | dt.date):
        return dt.date(value.year, value.month, 1)
    raw = unicodedata.normalize("NFKC", str(value or "")).strip()
    m = (
        re.match(r"^(\d{4})[-/](\d{1,2})$", raw)
        or re.match(r"^(\d{4})(\d{2})$", raw)
        or re.match(r"^(\d{4})年(\d{1,2})月$", raw)
    )
    if m and 1 <= int(m.group(2)) <= 12:
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
    try:
        day = parse_date(raw)
    except ValueError:
        _refuse("not a month (YYYY-MM)")
    return day.replace(day=1)


def parse_yen(value: Any, *, allow_negative: bool = False) -> int:
    if isinstance(value, bool):
        _refuse("a whole number of yen")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            _refuse("a whole number of yen")
        number = int(value)
    else:
        raw = unicodedata.normalize("NFKC", str(value or "")).strip()
        raw = raw.replace(",", "").replace("¥", "").replace("\\", "").removesuffix("円").strip()
        if not re.match(r"^-?\d+$", raw):
            _refuse("a whole number of yen")
        number = int(raw)
    if number < 0 and not allow_negative:
        _refuse("must not be negative")
    if abs(number) > MAX_YEN:
        _refuse(f"at most {MAX_YEN:,} yen")
    return number


def parse_decimal(value: Any, *, places: int = 2, maximum: Decimal = Decimal(999)) -> Decimal:
    """Hours or days: `7.5`, `7:30` (hours:minutes) → Decimal, ≥ 0."""
    if isinstance(value, bool):
        _refuse("a number")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        raw = unicodedata.normalize("NFKC", str(value or "")).strip()
        m = re.match(r"^(\d+):([0-5]\d)$", raw)
        try:
            number = Decimal(int(m.group(1))) + Decimal(int(m.group(2))) / 60 if m else Decimal(raw)
        except InvalidOperation:
            _refuse("a number")
    if not number.is_finite():
        _refuse("a number")
    if number < 0:
        _refuse("must not be negative")
    if number > maximum:
        _refuse(f"at most {maximum}")
    return number.quantize(Decimal(1).scaleb(-places))


def parse_int(value: Any, *, low: int, high: int) -> int:
    raw = unicodedata.normalize("NFKC", str(value)).strip() if not isinstance(value, int) else value
    try:
        number = int(raw)
    except (TypeError, ValueError):
        _refuse("a whole number")
    if not low <= number <= high:
        _refuse(f"between {low} and {high}")
    return number


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if raw in ("1", "true", "yes", "y", "はい", "有", "あり", "加入", "○", "◯", "on"):
        return True
    if raw in ("0", "false", "no", "n", "いいえ", "無", "なし", "未加入", "×", "off", "-"):
        return False
    _refuse("yes or no (1/0)")


def prefecture_code(value: Any) -> str:
    found = find_prefecture(value if isinstance(value, int) else str(value or ""))
    if found is None:
        _refuse("unknown prefecture (JIS code 01–47 or name)")
    return found.code


def _digits(value: Any, width: int) -> str:
    """Digits as typed; a number cell (Excel drops leading zeros: 0005 → 5) is re-padded."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**width:
        return f"{value:0{width}d}"
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def bank_code(value: Any) -> str:
    digits = _digits(value, 4)
    if not re.match(r"^\d{4}$", digits):
        _refuse("4 digits (金融機関コード)")
    return digits


def branch_code(value: Any) -> str:
    digits = _digits(value, 3)
    if not re.match(r"^\d{3}$", digits):
        _refuse("3 digits (支店コード)")
    return digits


def account_number(value: Any) -> str:
    """口座番号: up to 7 digits, zero-filled to 7 (全銀 N7)."""
    digits = unicodedata.normalize("NFKC", str(value or "")).strip().replace("-", "")
    if not re.match(r"^\d{1,7}$", digits):
        _refuse("up to 7 digits")
    return digits.zfill(7)


def my_number(value: Any) -> str:
    digits = normalize_my_number(_digits(value, 12))
    if not re.match(r"^\d{12}$", digits):
        _refuse("12 digits")
    if not is_valid_my_number(digits):
        _refuse("check digit does not match (検査用数字)")
    return digits


def municipality_code(value: Any) -> str:
    digits = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not re.match(r"^\d{6}$", digits):
        _refuse("6 digits (全国地方公共団体コード)")
    return digits


# --- whole records -------------------------------------------------------------------


def allowances(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """[{kind, amount, name?, taxable?}]: commuting is non-taxable unless said otherwise."""
    out: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        kind = str(item.get("kind", ""))
        if kind not in ALLOWANCE_KINDS:
            _refuse(f"[{index}].kind: one of {', '.join(ALLOWANCE_KINDS)}")
        try:
            amount = parse_yen(item.get("amount"))
        except ValueError as exc:
            _refuse(f"[{index}].amount: {exc}")
        taxable = item.get("taxable")
        out.append(
            {
                "kind": kind,
                "name": str(item.get("name") or "")[:50] or None,
                "amount": amount,
                "taxable": (kind != "commuting") if taxable is None else bool(taxable),
            }
        )
    return out


def check_employee(values: dict[str, Any], *, today: dt.date | None = None) -> list[FieldError]:
    """Cross-field rules of a complete employee record (typed values)."""
    today = today or today_jst()
    errors: list[FieldError] = []
    birth = values.get("birth_date")
    hire = values.get("hire_date")
    leave = values.get("leave_date")
    if isinstance(birth, dt.date):
        if birth < dt.date(1900, 1, 1) or birth > today:
            errors.append(FieldError("birth_date", "not a plausible birth date"))
        elif isinstance(hire, dt.date) and (hire.year, hire.month, hire.day) < (
            birth.year + 13,
            birth.month,
            birth.day,
        ):
            errors.append(FieldError("hire_date", "before the employee turned 13"))
    if isinstance(hire, dt.date) and isinstance(leave, dt.date) and leave < hire:
        errors.append(FieldError("leave_date", "before the hire date"))
    kind = values.get("insurer_kind", "kyoukai")
    if kind == "kyoukai" and not values.get("prefecture"):
        errors.append(FieldError("prefecture", "required for 協会けんぽ"))
    if kind == "society" and not values.get("society_id"):
        errors.append(FieldError("society_id", "required for a 健保組合"))
    return errors
