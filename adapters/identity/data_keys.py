"""Personal-data keys: one AES key per person, destroyed when the person is erased."""

from __future__ import annotations

from uuid import UUID

from adapters.identity.tables import BINARY, FLOAT, IdentityTable, as_bytes
from commands.personal_data import PersonalDataErasedError, new_data_key
from ports.relational import SqlSession


class SqlPersonalDataVault(IdentityTable):
    """One AES key per person; destroying it leaves a tombstone row (no key).

    The tombstone refuses new keys for an erased person. On PostgreSQL the old row
    version lingers until VACUUM (autovacuum, or an operator's ``VACUUM``).
    """

    TABLE = "personal_data_keys"

    def schema(self, session: SqlSession) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.TABLE} ("
            "subject_id TEXT PRIMARY KEY, "
            f"data_key {BINARY[session.dialect]}, "
            f"created_at {FLOAT[session.dialect]} NOT NULL, "
            f"destroyed_at {FLOAT[session.dialect]})"
        ]

    def key_for_encryption(self, subject_id: UUID) -> bytes:
        self.setup()
        with self._store.transaction() as session:
            session.execute(
                f"INSERT INTO {self.TABLE} (subject_id, data_key, created_at) "
                "VALUES (%s, %s, %s) ON CONFLICT (subject_id) DO NOTHING",
                (str(subject_id), new_data_key(), self._clock()),
            )
            row = session.fetchone(
                f"SELECT data_key FROM {self.TABLE} WHERE subject_id = %s",
                (str(subject_id),),
            )
        if row is None or row[0] is None:
            raise PersonalDataErasedError("This person's data was erased.")
        return as_bytes(row[0])

    def key_for_decryption(self, subject_id: UUID) -> bytes | None:
        self.setup()
        with self._store.transaction() as session:
            row = session.fetchone(
                f"SELECT data_key FROM {self.TABLE} WHERE subject_id = %s",
                (str(subject_id),),
            )
        return as_bytes(row[0]) if row is not None and row[0] is not None else None

    def destroy(self, subject_id: UUID) -> None:
        self.setup()
        now = self._clock()
        with self._store.transaction() as session:
            session.execute(
                f"INSERT INTO {self.TABLE} "
                "(subject_id, data_key, created_at, destroyed_at) "
                "VALUES (%s, NULL, %s, %s) ON CONFLICT (subject_id) DO UPDATE "
                "SET data_key = NULL, destroyed_at = excluded.destroyed_at",
                (str(subject_id), now, now),
            )

    def every_key(self) -> dict[str, bytes | None]:
        """Every subject's key (None once destroyed), in one read: the analytics
        export derives each person's pseudonym key from theirs."""
        self.setup()
        with self._store.transaction() as session:
            rows = session.fetchall(f"SELECT subject_id, data_key FROM {self.TABLE}")
        return {
            str(subject): as_bytes(key) if key is not None else None
            for subject, key in rows
        }
