"""Identity numbers encrypted at rest with a keyed hash for lookups and uniqueness (households/encryption.py): no
plaintext in the tables, one resident per number with the same Chinese message, lookups by hash, the same masking,
round-trips through export and import, reveals shown and logged, existing rows converted, the demo seed alike."""

import base64
import io
import logging
import os
import subprocess
import sys

import pytest
import tablib
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from households.encryption import TOKEN_PREFIX, decrypt_id_number, id_number_hash
from households.exports import ResidentExportResource
from households.imports import ResidentImportResource
from households.models import IdentityReveal, Resident
from households.services import save_resident
from tests.factories import HouseholdFactory, ResidentFactory, make_id_number

pytestmark = pytest.mark.django_db

NUMBER = make_id_number(123)  # 370811196005171238-like, with a valid check digit


def stored(table="households_resident"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, id_number FROM {table} WHERE id_number IS NOT NULL ORDER BY 1")
        return cursor.fetchall()


@pytest.fixture
def resident(household):
    resident = household.residents.get()
    resident.id_number = NUMBER
    save_resident(resident=resident)
    return resident


@pytest.fixture
def audit_log(caplog):
    logger = logging.getLogger("portal.audit")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_the_table_holds_a_token_and_a_keyed_hash_never_the_number(resident):
    [(pk, token)] = stored()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_hash FROM households_resident WHERE id = %s", [pk])
        [(digest,)] = cursor.fetchall()

    assert token.startswith(TOKEN_PREFIX) and NUMBER not in token
    assert decrypt_id_number(token) == NUMBER
    assert digest == id_number_hash(NUMBER) and NUMBER not in digest and len(digest) == 64
    assert Resident.objects.get(pk=pk).id_number == NUMBER


def test_the_change_history_holds_no_number_either(resident):
    history = stored("households_historicalresident")

    assert history
    assert all(value.startswith(TOKEN_PREFIX) and NUMBER not in value for _, value in history)
    assert resident.history.first().id_number == NUMBER


def test_one_number_gives_a_different_token_each_time(household):
    first = ResidentFactory(household=household, relation="child", id_number=make_id_number(501))
    second = ResidentFactory(household=household, relation="child", id_number=make_id_number(502))
    first.id_number = make_id_number(502)

    tokens = dict(stored())

    assert tokens[first.pk] != tokens[second.pk]
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()  # the same number twice: the unique index on the hash refuses it


def test_the_same_number_twice_is_refused_with_the_chinese_message(resident):
    twin = Resident(household=resident.household, name="魏永凯", gender="male", relation="child", id_number=NUMBER)

    with pytest.raises(ValidationError) as refused:
        twin.full_clean()

    assert refused.value.message_dict["id_number"] == ["该身份证号已登记为另一位居民。"]


def test_the_admin_refuses_a_second_resident_with_the_number(client_for, admin_user, resident, other_household):
    response = client_for(admin_user).post(
        reverse("admin:households_resident_add"),
        {
            "household": other_household.pk,
            "name": "冒名者",
            "gender": "male",
            "birth_date": "1960-05-17",
            "id_number": NUMBER.lower(),
            "phone": "",
            "relation": "other",
        },
    )

    assert response.status_code == 200
    assert "该身份证号已登记为另一位居民。" in response.content.decode()
    assert Resident.objects.count() == 2  # the household fixtures' two, no third


def test_keeping_ones_own_number_is_no_duplicate(resident):
    resident.name = "魏永恺"
    resident.full_clean()
    save_resident(resident=resident)

    assert Resident.objects.with_id_number(NUMBER).get().name == "魏永恺"


def test_a_lookup_goes_through_the_hash(resident):
    assert list(Resident.objects.with_id_number(NUMBER)) == [resident]
    assert list(Resident.objects.with_id_number(f" {NUMBER.lower()} ")) == [resident]
    assert not Resident.objects.with_id_number(make_id_number(999)).exists()
    assert Resident.objects.exclude(id_number=None).count() == 1
    assert Resident.objects.filter(id_number__isnull=True).count() == 0


def test_comparing_the_encrypted_column_is_refused_not_silently_empty(resident):
    with pytest.raises(FieldError):
        Resident.objects.filter(id_number=NUMBER)
    with pytest.raises(FieldError):
        Resident.objects.filter(id_number__startswith="370811")


def test_masking_is_as_before(resident, client_for, grid_worker):
    page = client_for(grid_worker).get(reverse("household_detail", args=[resident.household_id])).content.decode()

    assert resident.masked_id_number == NUMBER[:6] + "********" + NUMBER[-4:]
    assert resident.masked_id_number in page
    assert NUMBER not in page


def test_the_admin_search_finds_a_full_number(client_for, admin_user, resident):
    url = reverse("admin:households_resident_changelist")

    found = client_for(admin_user).get(url, {"q": NUMBER.lower()}).context["cl"].result_list

    assert list(found) == [resident]


def test_export_then_import_changes_nothing(admin_user, resident):
    dataset = ResidentExportResource(user=admin_user).export(Resident.objects.all())
    assert NUMBER in dataset.dict[0].values()

    result = ResidentImportResource().import_data(tablib.Dataset().load(dataset.export("csv"), format="csv"))

    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 1
    assert Resident.objects.count() == 1
    assert Resident.objects.with_id_number(NUMBER).get() == resident


def test_an_import_row_with_a_known_number_updates_that_resident(admin_user, resident):
    dataset = ResidentExportResource(user=admin_user).export(Resident.objects.filter(pk=resident.pk))
    row = dataset.dict[0]
    row["姓名"] = "魏永恺"
    edited = tablib.Dataset(headers=list(row))
    edited.append(list(row.values()))

    result = ResidentImportResource().import_data(edited)

    assert result.totals["update"] == 1
    assert Resident.objects.get(pk=resident.pk).name == "魏永恺"


def test_a_cadre_reveals_the_number_and_it_is_recorded_and_logged(client_for, cadre, resident, audit_log):
    response = client_for(cadre).post(reverse("resident_reveal_id", args=[resident.pk]))

    assert response.status_code == 200
    assert NUMBER in response.content.decode()
    assert IdentityReveal.objects.filter(user=cadre, resident=resident).count() == 1
    [line] = [record.audit for record in audit_log.records if record.getMessage() == "reveal"]
    assert line == {"user": "cadre", "user_id": cadre.pk, "ip": "127.0.0.1", "resident": resident.pk}
    assert NUMBER not in audit_log.text


def test_a_grid_worker_may_not_reveal(client_for, grid_worker, resident):
    response = client_for(grid_worker).post(reverse("resident_reveal_id", args=[resident.pk]))

    assert response.status_code == 403
    assert not IdentityReveal.objects.exists()


def test_an_export_with_full_numbers_is_recorded_and_logged(admin_user, resident, audit_log):
    ResidentExportResource(user=admin_user).export(Resident.objects.all())

    assert IdentityReveal.objects.filter(user=admin_user).count() == 1
    [line] = [record.audit for record in audit_log.records if record.getMessage() == "reveal"]
    assert line == {"user": "admin", "user_id": admin_user.pk, "residents": 1, "via": "export"}


def test_the_demo_seed_writes_tokens_and_hashes_too():
    call_command("seed_demo", households=12, stdout=io.StringIO())

    rows = stored()
    assert len(rows) >= 12
    assert all(token.startswith(TOKEN_PREFIX) for _, token in rows)
    for resident in Resident.objects.exclude(id_number=None):
        assert Resident.objects.with_id_number(resident.id_number).get() == resident


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_numbers_already_stored(building):
    """From 0008 (numbers in the clear) forward: every resident's and history row's number becomes a token."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("households")
    executor.migrate([("households", "0008_resident_id_number_unique_message")])
    household = HouseholdFactory(building=building)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO households_resident (household_id, name, gender, birth_date, id_number, phone, relation) "
            "VALUES (%s, '老住户', 'male', '1960-05-17', %s, '', 'head') RETURNING id",
            [household.pk, NUMBER],
        )
        [(pk,)] = cursor.fetchall()
        cursor.execute(
            "INSERT INTO households_historicalresident (id, household_id, name, gender, birth_date, id_number, phone,"
            " relation, history_date, history_type) VALUES (%s, %s, '老住户', 'male', '1960-05-17', %s, '', 'head',"
            " CURRENT_TIMESTAMP, '+')",
            [pk, household.pk, NUMBER],
        )

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    for table in ("households_resident", "households_historicalresident"):
        [(_, token)] = stored(table)
        assert token.startswith(TOKEN_PREFIX) and decrypt_id_number(token) == NUMBER
    assert Resident.objects.with_id_number(NUMBER).get().pk == pk


def _production_settings(**env):
    script = "from django.conf import settings; print(settings.ID_NUMBER_KEY)"
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "jinjiajiayuan.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-production-secret-key-long-and-random-enough-0123456789",
        "DATABASE_URL": "sqlite:///:memory:",
        **env,
    }
    return subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True)


@pytest.mark.parametrize("key", ["too-short", base64.urlsafe_b64encode(b"x" * 16).decode()])
def test_production_refuses_to_start_with_a_malformed_key(key):
    result = _production_settings(ID_NUMBER_KEY=key)

    assert result.returncode != 0
    assert "ID_NUMBER_KEY" in result.stderr


@pytest.mark.parametrize("key", [None, ""])
def test_production_without_a_key_starts_and_the_deploy_check_warns(key):
    """collectstatic and the pages work without the variable; `check --deploy` says to set one."""
    script = (
        "import django; django.setup(); from django.core import checks; "
        "print([m.id for m in checks.run_checks(include_deployment_checks=True) if m.id == 'households.W001'])"
    )
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "jinjiajiayuan.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-production-secret-key-long-and-random-enough-0123456789",
        "DATABASE_URL": "sqlite:///:memory:",
        **({} if key is None else {"ID_NUMBER_KEY": key}),
    }
    result = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert "['households.W001']" in result.stdout


def test_production_starts_with_a_generated_key():
    key = Fernet.generate_key().decode()

    assert _production_settings(ID_NUMBER_KEY=key).stdout.strip() == key
