"""A corpus of named bad inputs for `talentflow ingest`, built by code (nothing large is committed).

Each case writes one input file and says how many records it holds, when that is defined, so that the test can
check that none is lost from the counts. `python tests/fuzz/corpus.py DIR` writes the whole corpus into DIR.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from talentflow.testing import vacancy

#: The line limit the corpus runs with (TALENTFLOW_MAX_LINE_BYTES): small, so that lines past it and past DuckDB's
#: buffer (16 times it) cost kilobytes, not the 16 MiB and 256 MiB of the default.
LINE_LIMIT = 64 << 10


@dataclass
class Case:
    name: str
    make: Callable[[Path], bytes]
    suffix: str = ".ndjson"
    #: Records the input holds (read = accepted + duplicates + quarantined must reach it), when defined.
    read: int | None = None
    args: tuple[str, ...] = ()
    #: Exit codes allowed: 0 (read, bad records quarantined) or 2 (refused with a message), never anything else.
    codes: tuple[int, ...] = (0, 2)
    extra: dict[str, Any] = field(default_factory=dict)

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.name}{self.suffix}"
        path.write_bytes(self.make(path))
        return path


def _line(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode() + b"\n"


def _good(i: int) -> bytes:
    return _line(vacancy(i))


def _around(middle: bytes) -> Callable[[Path], bytes]:
    """A good line, ``middle`` (one line), a good line."""
    return lambda _: _good(1) + middle.rstrip(b"\n") + b"\n" + _good(2)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


HOSTILE_VALUES: dict[str, Any] = {
    "nan_text": "NaN",
    "infinity_text": "Infinity",
    "minus_infinity": "-Infinity",
    "overflow_1e309": "1e309",
    "empty": "",
    "blank": "   ",
    "list": [1, 2],
    "object": {"a": 1},
    "bool": True,
    "letters": "abc",
    "negative": -5,
    "huge_digits": "9" * 400,
    "nul": "a\u0000b",
    "formula": '=HYPERLINK("http://x")',
}
HOSTILE_TIMES = {
    "offset_99": "2022-03-01T10:00:00+99:00",
    "offset_15": "2022-03-01T10:00:00+1500",
    "minutes_75": "2022-03-01T10:00:00+03:75",
    "year_9999": "9999-12-31T00:00:00Z",
    "year_1": "0001-01-01T00:00:00Z",
    "feb_30": "2022-02-30T10:00:00+0300",
    "words": "yesterday",
    "number": 1646118000,
}


def _hh_cases() -> list[Case]:
    out = []
    for name, value in HOSTILE_VALUES.items():
        for key in ("from", "to"):
            rec = vacancy(5, salary={"from": 1000, "to": 2000, "currency": "RUR", key: value})
            out.append(Case(f"hh_salary_{key}_{name}", _around(_line(rec)), read=3))
    for name, value in list(HOSTILE_VALUES.items())[:8]:
        out.append(
            Case(f"hh_currency_{name}", _around(_line(vacancy(5, salary={"from": 1, "currency": value}))), read=3)
        )
        out.append(Case(f"hh_id_{name}", _around(_line(vacancy(5, id=value))), read=3))
    for name, value in HOSTILE_TIMES.items():
        out.append(Case(f"hh_published_{name}", _around(_line(vacancy(5, published_at=value))), read=3))
        out.append(Case(f"hh_observed_{name}", _around(_line(vacancy(5, observed_at=value))), read=3))
    resume = {"id": "r1", "title": "dev", "updated_at": "2022-03-01T10:00:00+0300"}
    out += [
        Case("hh_resume_months_nan", _around(_line({**resume, "total_experience": {"months": "NaN"}})), read=3),
        Case("hh_resume_amount_inf", _around(_line({**resume, "salary": {"amount": 1e308 * 10, "currency": "RUR"}}))),
        Case("hh_area_list", _around(_line(vacancy(5, area=[1, 2]))), read=3),
        Case("hh_page_items_number", _around(b'{"items": 5}'), read=3),
        Case("hh_page_items_mixed", _around(b'{"items": [1, "x", null, {}]}'), read=6),
        Case("hh_error_envelope", _around(b'{"errors": [{"type": "captcha_required"}]}'), read=3),
    ]
    return out


def _deep(n: int, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * n + close * n).encode()


_RAW_LINES: dict[str, tuple[bytes, int | None]] = {
    "text": (b"not json", 3),
    "open_brace": (b"{", 3),
    "close_brace": (b"}", 3),
    "array": (b"[1, 2]", 3),
    "null": (b"null", 3),
    "number": (b"123", 3),
    "string": (b'"str"', 3),
    "deep_array_10000": (_deep(10_000), 3),
    "deep_object_5000": (b'{"a":' * 5000 + b"1" + b"}" * 5000, 3),
    "lone_surrogate": (json.dumps(vacancy(5)).replace("Python", "\\ud800").encode(), 3),
    "invalid_utf8": (json.dumps(vacancy(5)).encode().replace(b"Python", b"Py\xff\xfe"), 3),
    "overlong_utf8": (json.dumps(vacancy(5)).encode().replace(b"Python", b"\xc0\xaf"), 3),
    "digits_5000": (
        b'{"id": "1", "name": "x", "published_at": "2022-03-01", "salary": {"from": ' + b"9" * 5000 + b"}}",
        3,
    ),
    "nan_literal": (b'{"id": "1", "name": "x", "published_at": "2022-03-01", "salary": {"from": NaN}}', 3),
    "duplicate_keys": (b'{"id": "1", "id": "2", "name": "x", "published_at": "2022-03-01T00:00:00Z"}', 3),
    "bom_mid_file": (b"\xef\xbb\xbf" + json.dumps(vacancy(5)).encode(), 3),
    "control_chars": (json.dumps(vacancy(5, name="a\u0001\u001fb")).encode(), 3),
}


def _line_cases() -> list[Case]:
    out = [Case(f"ndjson_{name}", _around(line), read=read) for name, (line, read) in _RAW_LINES.items()]
    crlf = _good(1).replace(b"\n", b"\r\n") + _good(2).replace(b"\n", b"\r\n") + _good(3) + b"{bad\n" + _good(4)
    long_line = _line(vacancy(5, name="x" * (LINE_LIMIT * 2)))
    over_buffer = _line(vacancy(6, name="y" * (LINE_LIMIT * 20)))
    out += [
        Case("ndjson_crlf_then_lf_bad_record", lambda _: crlf, read=5),
        Case("ndjson_cr_only", lambda _: _good(1).replace(b"\n", b"\r") + _good(2).replace(b"\n", b"\r")),
        Case("ndjson_line_over_limit", _around(long_line), read=3),
        Case("ndjson_line_over_buffer", _around(over_buffer), read=3),
        Case("ndjson_two_lines_over_buffer", lambda _: over_buffer + _good(1) + over_buffer + _good(2), read=4),
        Case("ndjson_last_line_over_buffer_no_newline", lambda _: _good(1) + over_buffer.rstrip(b"\n"), read=2),
        Case("ndjson_blank_lines", lambda _: b"\n\n  \n\t\n" + _good(1) + b"\n\n", read=1),
        Case("ndjson_nul_inside", _around(b'{"id": "1\x00"}')),
        Case("ndjson_no_final_newline", lambda _: _good(1) + _good(2).rstrip(b"\n"), read=2),
    ]
    return out


def _document_cases() -> list[Case]:
    page = {"items": [vacancy(1), vacancy(2)], "found": 2}
    docs: dict[str, tuple[bytes, int | None]] = {
        "deep_array_10000": (b" " + _deep(10_000), 1),
        "deep_in_page": (b'{"items": [' + _deep(3000) + b"]}", 1),
        "surrogate_in_array": (json.dumps([vacancy(1)]).replace("Python", "\\ud800").encode(), 1),
        "page_items_not_list": (b'{\n "items": {"a": 1}\n}', 1),
        "array_of_nulls": (b"[\n null, null, 3\n]", 3),
        "empty_array": (b"[\n]", 0),
        "truncated_page": (json.dumps(page, indent=1).encode()[:-30], 1),
        "trailing_comma": (b"[\n" + json.dumps(vacancy(1)).encode() + b",\n]", 1),
        "digits_5000": (b"[\n" + b"9" * 5000 + b"\n]", 1),
        "infinity_literal": (
            b'[\n{"id": "1", "name": "x", "published_at": "2022-03-01", "salary": {"from": Infinity}}]',
            1,
        ),
        "bom_page": (b"\xef\xbb\xbf" + json.dumps(page, indent=1).encode(), 2),
        "utf16": (json.dumps([vacancy(1)]).encode("utf-16"), None),
        "latin1": (
            json.dumps([{"id": "1", "name": "caf\u00e9", "published_at": "2022-03-01"}], ensure_ascii=False).encode(
                "latin-1"
            ),
            1,
        ),
    }
    return [Case(f"json_{name}", (lambda d: lambda _: d)(data), ".json", read) for name, (data, read) in docs.items()]


def _csv(text: str) -> Callable[[Path], bytes]:
    return lambda _: text.encode()


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


HEADER_NAMES = {
    "double_quote": 'ti"tle',
    "single_quote": "it's",
    "semicolon": "a;b",
    "paren": "x)",
    "subquery": "(select string_agg(content, '') from read_text('/etc/passwd'))",
    "newline": "line\nbreak",
    "unicode": "Заголовок ✓",
    "equals": "a=b",
    "empty_quoted": "",
}


def _flat_cases() -> list[Case]:
    out = []
    for name, header in HEADER_NAMES.items():
        text = f"id,{_csv_cell(header)},published_at\n1,a title,2022-03-01\n2,other,2022-03-02\n"
        args = ("--map", "#1=vacancy_id", "--map", "#2=title", "--map", "#3=published_at")
        out.append(Case(f"csv_header_{name}", _csv(text), ".csv", 2, args))
    out += [
        Case("csv_pandas_index", _csv(",id,name,published_at\n0,1,x,2022-03-01\n1,2,y,2022-03-02\n"), ".csv", 2),
        Case("csv_duplicate_names", _csv("id,name,name,published_at\n1,x,y,2022-03-01\n"), ".csv", 1),
        Case("csv_all_empty_names", _csv(",,\n1,2,3\n"), ".csv", None, ("--map", "#1=vacancy_id")),
        Case("csv_header_only", _csv("id,name,published_at\n"), ".csv", 0),
        Case("csv_2000_columns", _csv(",".join(["id", "name", "published_at"] + [f"c{i}" for i in range(2000)]) + "\n"
                                      + ",".join(["1", "x", "2022-03-01"] + ["v"] * 2000) + "\n"), ".csv", 1),
        Case("csv_crlf_lf_mixed", _csv("id,name,published_at\r\n1,x,2022-03-01\r\n2,y,2022-03-02\n3,\"z\",bad\n"),
             ".csv", 3),
        Case("csv_too_many_fields", _csv("id,name,published_at\n1,x,2022-03-01,extra\n2,y,2022-03-01\n"), ".csv", 2),
        Case("csv_too_few_fields", _csv("id,name,published_at\n1,x\n2,y,2022-03-01\n"), ".csv", 2),
        Case("csv_stray_quote", _csv('id,name,published_at\n1,a"b,2022-03-01\n2,y,2022-03-01\n'), ".csv", 2),
        Case("csv_unterminated_quote", _csv('id,name,published_at\n1,"abc,2022-03-01\n2,y,2022-03-01\n'), ".csv"),
        Case("csv_nan_salaries", _csv("id,name,published_at,salary_from,salary_to,currency\n"
                                      "1,x,2022-03-01,NaN,Infinity,RUB\n2,y,2022-03-01,1e309,-inf,RUB\n"
                                      "3,z,2022-03-01,100,200,RUB\n"), ".csv", 3),
        Case("csv_offsets", _csv("id,name,published_at\n1,x,2022-03-01T10:00:00+99:00\n2,y,2022-03-01T10:00:00+0300\n"),
             ".csv", 2),
        Case("csv_formula_cells", _csv('id,name,published_at\n1,"=HYPERLINK(""http://x"",""y"")",2022-03-01\n'
                                       "2,+cmd,2022-03-01\n3,@sum,2022-03-01\n"), ".csv", 3),
        Case("csv_cell_over_buffer", lambda _: ("id,name,published_at\n1,x,2022-03-01\n2," + "z" * (LINE_LIMIT * 20)
                                                + ",2022-03-01\n3,y,2022-03-01\n").encode(), ".csv", 3),
        Case("csv_cell_over_limit", lambda _: ("id,name,published_at\n1,x,2022-03-01\n2," + "z" * (LINE_LIMIT * 2)
                                               + ",2022-03-01\n3,y,2022-03-01\n").encode(), ".csv", 3),
        Case("csv_nul_in_header", _csv("id,na\x00me,published_at\n1,x,2022-03-01\n"), ".csv"),
        Case("csv_bom_header", lambda _: b"\xef\xbb\xbfid,name,published_at\n1,x,2022-03-01\n", ".csv", 1),
        Case("csv_snapshot_day_not_a_date", _csv("name,salary_from,salary_to,salary_currency,area_name,published_at,"
                                                 "snapshot_day,source_repo,source_commit\n"
                                                 "x,1,2,RUR,Москва,2022-03-01T10:00:00+0300,soon,r,c\n"), ".csv", 1),
    ]  # fmt: skip
    return out


def _ig_cases() -> list[Case]:
    head = "developers,iso2_code,year,quarter\n"
    rows = {
        "quarter_5": "100,RU,2022,5",
        "quarter_0": "100,RU,2022,0",
        "quarter_minus": "100,RU,2022,-1",
        "quarter_text": "100,RU,2022,Q1",
        "year_9999": "100,RU,9999,1",
        "year_text": "100,RU,twenty,1",
        "value_nan": "NaN,RU,2022,1",
        "value_infinity": "Infinity,RU,2022,1",
        "value_1e309": "1e309,RU,2022,1",
        "economy_lower": "100,ru,2022,1",
        "economy_empty": "100,,2022,1",
    }
    out = [Case(f"ig_{name}", _csv(head + row + "\n200,KZ,2022,1\n"), ".csv", 2) for name, row in rows.items()]
    for name, header in HEADER_NAMES.items():
        out.append(
            Case(f"ig_metric_{name}", _csv(f"{_csv_cell(header)},iso2_code,year,quarter\n5,RU,2022,1\n"), ".csv", 1)
        )
    out += [
        Case("ig_bilateral_bad", _csv("weight,source,destination,year,quarter\n1,RU,xx,2022,1\nNaN,RU,KZ,2022,9\n"),
             ".csv", 2),
        Case("ig_counts_quarter_5", _csv("year,quarter,dataset,count_distinct_economies\n2022,5,devs,10\n"), ".csv", 1),
    ]  # fmt: skip
    return out


def _hl_cases() -> list[Case]:
    head = "date,jobcountry,indeed_job_postings_index_SA,indeed_job_postings_index_NSA,variable\n"
    rows = {
        "date_9999": "9999-12-31,US,100,100,total postings",
        "date_year_1": "0001-01-01,US,100,100,total postings",
        "date_feb_30": "2022-02-30,US,100,100,total postings",
        "date_empty": ",US,100,100,total postings",
        "index_nan": "2022-01-01,US,NaN,100,total postings",
        "index_infinity": "2022-01-01,US,100,Infinity,total postings",
        "index_1e309": "2022-01-01,US,1e309,100,total postings",
        "country_empty": "2022-01-01,,100,100,total postings",
    }
    out = [Case(f"hl_{name}", _csv(head + row + "\n2022-01-02,US,99,98,total postings\n"), ".csv", 2)
           for name, row in rows.items()]  # fmt: skip
    out += [
        Case("hl_ai_share_over_100", _csv("date,jobcountry,AI_share_postings\n2022-01-01,US,101\n"
                                          "2022-01-02,US,1e309\n"),
             ".csv", 2),
        Case("hl_two_source_commits", _csv("date,jobcountry,AI_share_postings,source_commit,source_commit\n"
                                           "2022-01-01,US,2.5,abc,def\n"), ".csv", None),
    ]  # fmt: skip
    return out


def _jsonld(posting: dict[str, Any]) -> bytes:
    base = {"@context": "https://schema.org", "@type": "JobPosting", "title": "Dev", "datePosted": "2022-03-01",
            "identifier": "p1"}  # fmt: skip
    return json.dumps({**base, **posting}).encode()


def _jsonld_cases() -> list[Case]:
    postings = {
        "address_number": {"jobLocation": {"address": 5}},
        "address_list": {"jobLocation": {"address": [1, 2]}},
        "location_string": {"jobLocation": "Berlin"},
        "bad_url": {"url": "http://[::1"},
        "salary_list_of_lists": {"baseSalary": [[1, 2]]},
        "salary_nan": {"baseSalary": {"currency": "USD", "value": {"value": "NaN", "unitText": "YEAR"}}},
        "salary_infinity": {"baseSalary": {"currency": "USD", "value": {"minValue": 1e308 * 10}}},
        "date_offset_99": {"datePosted": "2022-03-01T10:00:00+99:00"},
        "title_object": {"title": {"a": [1]}},
        "identifier_list": {"identifier": [[["x"]]]},
        "organization_number": {"hiringOrganization": 5},
        "type_list": {"@type": ["JobPosting", "Thing"]},
    }
    out = [Case(f"jsonld_{name}", (lambda d: lambda _: d)(_jsonld(p)), ".jsonld", 1) for name, p in postings.items()]
    graph = b'{"@context": "https://schema.org", "@graph": ' + _deep(5000) + b"}"
    out += [
        Case("jsonld_deep_graph", lambda _: graph, ".jsonld", 1),
        Case("jsonld_lines_one_bad", lambda _: _jsonld({}) + b"\n{broken\n" + _jsonld({"identifier": "p2"}) + b"\n",
             ".jsonld", 3),
        Case("jsonld_surrogate", lambda _: _jsonld({"title": "\ud800"}), ".jsonld", 1),
    ]  # fmt: skip
    return out


def _gzip_cases() -> list[Case]:
    ndjson = b"".join(_good(i) for i in range(50))
    packed = _gz(ndjson)
    bad_crc = bytearray(packed)
    bad_crc[-8] ^= 0xFF
    named = bytearray(gzip.compress(ndjson, mtime=0))
    cases = {
        "gz_plain": (packed, 50),
        "gz_garbage_after": (packed + b"garbage after the stream", 51),
        "gz_zero_padding": (packed + b"\x00" * 512, 50),
        "gz_bad_crc": (bytes(bad_crc), 50),
        "gz_truncated": (packed[: len(packed) // 2], None),
        "gz_header_only": (packed[:10], None),
        "gz_magic_only": (b"\x1f\x8b", None),
        "gz_two_members": (_gz(ndjson[:1000]) + _gz(ndjson[1000:]), 50),
        "gz_member_then_garbage_then_member": (_gz(ndjson[:1000]) + b"xx" + _gz(ndjson[1000:]), None),
        "gz_double": (_gz(packed), None),
        "gz_of_empty": (_gz(b""), 0),
        "gz_name_on_plain_text": (ndjson, 50),
        "gz_corrupt_deflate": (packed[:20] + bytes(range(256)) + packed[-8:], None),
        "gz_flags_name": (bytes(named[:3]) + b"\x08" + bytes(named[4:10]) + b"name.ndjson\x00" + bytes(named[10:]), 50),
        "gz_csv_garbage_after": (_gz(b"id,name,published_at\n1,x,2022-03-01\n") + b"\xff\xfe junk", 2),
        "gz_crlf_mixed": (_gz(_good(1).replace(b"\n", b"\r\n") + _good(2) + b"bad\n"), 3),
    }
    out = []
    for name, (data, read) in cases.items():
        suffix = ".csv.gz" if "csv" in name else ".ndjson.gz"
        out.append(Case(name, (lambda d: lambda _: d)(data), suffix, read))
    return out


def _parquet_cases() -> list[Case]:
    good = pa.table({"id": ["1", "2"], "name": ["x", "y"], "published_at": ["2022-03-01", "2022-03-02"]})
    floats = pa.table({"id": ["1", "2", "3"], "name": ["x", "y", "z"], "published_at": ["2022-03-01"] * 3,
                       "salary_from": [float("nan"), float("inf"), 100.0], "currency": ["RUB"] * 3})  # fmt: skip
    nested = pa.table({"id": ["1"], "name": ["x"], "published_at": ["2022-03-01"], "key_skills": [["a", "b"]]})
    raw = _parquet(good)
    out = [
        Case("parquet_gzipped", lambda _: _gz(raw), ".parquet.gz"),
        Case("parquet_truncated", lambda _: raw[: len(raw) // 2], ".parquet"),
        Case("parquet_magic_only", lambda _: b"PAR1garbage", ".parquet"),
        Case("parquet_nan_inf_salaries", lambda _: _parquet(floats), ".parquet", 3),
        Case("parquet_nested_list", lambda _: _parquet(nested), ".parquet", 1),
        Case("parquet_zero_rows", lambda _: _parquet(good.slice(0, 0)), ".parquet", 0),
    ]
    for name, header in HEADER_NAMES.items():
        table = pa.table({"id": ["1"], header or "_": ["x"], "published_at": ["2022-03-01"]})
        args = ("--map", "#1=vacancy_id", "--map", "#2=title", "--map", "#3=published_at")
        out.append(Case(f"parquet_name_{name}", (lambda d: lambda _: d)(_parquet(table)), ".parquet", 1, args))
    return out


def _misc_cases() -> list[Case]:
    return [
        Case("empty_file", lambda _: b"", ".ndjson", 0),
        Case("whitespace_only", lambda _: b" \n\t\n", ".ndjson", 0),
        Case("bom_only", lambda _: b"\xef\xbb\xbf", ".ndjson", 0),
        Case("binary_noise", lambda _: bytes(range(256)) * 4, ".ndjson", codes=(2,)),
    ]


def cases() -> list[Case]:
    return [
        *_hh_cases(),
        *_line_cases(),
        *_document_cases(),
        *_flat_cases(),
        *_ig_cases(),
        *_hl_cases(),
        *_jsonld_cases(),
        *_gzip_cases(),
        *_parquet_cases(),
        *_misc_cases(),
    ]


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for case in cases():
        print(case.write(target))
