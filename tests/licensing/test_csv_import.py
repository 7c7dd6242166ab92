"""Bulk assignment from CSV: the format and the per-row results."""

import pytest

from licensing import selectors, services
from licensing.csv_format import MAX_ROWS, CsvFormatError, parse_csv

from .conftest import events


def test_parse_with_header_in_any_order_and_german_names():
    rows = parse_csv(b"Lizenz;Nebenstelle;Aktion;Grund\nMonitor;201;zuweisen;QA\n"
                     b"record;202;entziehen;\n")
    assert [(r.extension, r.normalized_license, r.normalized_action, r.reason)
            for r in rows] == [("201", "monitor", "assign", "QA"), ("202", "record", "revoke", "")]
    assert [r.line for r in rows] == [2, 3]


def test_parse_without_header_bom_comments_blank_lines_and_cp1252():
    data = "\ufeff# Liste\n201,monitor\n\n202,record,revoke,Grund für Entzug\n".encode()
    rows = parse_csv(data)
    assert [(r.extension, r.license, r.action) for r in rows] == [
        ("201", "monitor", ""), ("202", "record", "revoke")]
    rows = parse_csv("201;record;assign;Qualitätssicherung\n".encode("cp1252"))
    assert rows[0].reason == "Qualitätssicherung"


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty_file"),
    (b"\n \n# nur Kommentar\n", "empty_file"),
    (b"extension,action\n201,assign\n", "missing_columns"),
    (b"extension,license\n", "empty_file"),
    (("201,monitor\n" * (MAX_ROWS + 1)).encode(), "too_many_rows"),
    (b"x" * (1024 * 1024 + 1), "file_too_large"),
])
def test_unreadable_files(data, code):
    with pytest.raises(CsvFormatError) as info:
        parse_csv(data)
    assert info.value.code == code


@pytest.mark.django_db
def test_import_gives_a_stable_outcome_per_row(tenant_a, admin_a, make_user):
    for ext in ("201", "202", "203"):
        make_user(ext)
    make_user("209", is_active=False)
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=2)
    services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=5)
    data = (
        b"extension,license,action,reason\n"
        b"201,monitor,assign,QA\n"          # 2 assigned
        b"201,monitor,,\n"                   # 3 already_assigned
        b"202,monitor,assign,\n"             # 4 assigned
        b"203,monitor,assign,\n"             # 5 pool_exhausted
        b"201,monitor,revoke,left\n"         # 6 revoked (frees one)
        b"203,monitor,assign,\n"             # 7 assigned (rows run in order)
        b"999,record,assign,\n"              # 8 unknown_extension
        b"202,gold,assign,\n"                # 9 invalid_license
        b"202,record,delete,\n"              # 10 invalid_action
        b"202,record,revoke,\n"              # 11 not_assigned
        b"209,record,assign,\n"              # 12 pbx_user_inactive
        b",record,assign,\n"                 # 13 missing_value
    )
    result = services.import_assignments_csv(actor=admin_a, tenant=tenant_a, data=data,
                                             filename="licences.csv")
    assert [(row.line, row.outcome) for row in result.rows] == [
        (2, "assigned"), (3, "already_assigned"), (4, "assigned"), (5, "pool_exhausted"),
        (6, "revoked"), (7, "assigned"), (8, "unknown_extension"), (9, "invalid_license"),
        (10, "invalid_action"), (11, "not_assigned"), (12, "pbx_user_inactive"),
        (13, "missing_value"),
    ]
    assert (result.ok_count, result.failed_count) == (4, 8)
    assert all(row.detail for row in result.rows)
    assert selectors.used_count(tenant=tenant_a, license="monitor") == 2
    assert len(events(tenant_a, "license.assigned")) == 3
    assert len(events(tenant_a, "license.revoked")) == 1
    [summary] = events(tenant_a, "license.bulk_imported")
    assert summary.data["ok"] == 4 and summary.data["failed"] == 8
    assert summary.data["filename"] == "licences.csv"


@pytest.mark.django_db
def test_dry_run_reports_and_changes_nothing(tenant_a, admin_a, make_user):
    make_user("201")
    make_user("202")
    services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=1)
    result = services.import_assignments_csv(actor=admin_a, tenant=tenant_a, dry_run=True,
                                             data=b"201,record\n202,record\n")
    assert [row.outcome for row in result.rows] == ["assigned", "pool_exhausted"]
    assert result.dry_run
    assert selectors.used_count(tenant=tenant_a, license="record") == 0
    assert events(tenant_a, "license.assigned") == []
    assert events(tenant_a, "license.bulk_imported") == []
