/**
 * The data export (right of access) holds every table that stores something about a user. The tables are
 * read from the live schema, so a table added by a later migration fails this test until the export (and
 * `PERSONAL_DATA_TABLES` in src/db/repositories/personal-data.ts) covers it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { PERSONAL_DATA_TABLES } from '../../src/db/repositories/personal-data.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';

/** Columns that link a row to a person without a foreign key. */
const PERSON_COLUMNS = ['user_id', 'email_hash'];

describe(`the data export covers every user-linked table (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  /** Tables with a foreign key to `users`, or a column that names a person. */
  async function userLinkedTables(): Promise<string[]> {
    const db = t.database.db;
    if (t.config.database.dialect === 'postgres') {
      const { rows } = await sql<{ table_name: string }>`
        SELECT DISTINCT tc.table_name
        FROM information_schema.table_constraints tc
        JOIN information_schema.constraint_column_usage ccu
          ON ccu.constraint_name = tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema
        WHERE tc.constraint_type = 'FOREIGN KEY' AND ccu.table_name = 'users' AND tc.table_schema = current_schema()
        UNION
        SELECT DISTINCT table_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND column_name IN (${sql.join(PERSON_COLUMNS)})`.execute(db);
      return rows.map((r) => r.table_name).sort();
    }
    const { rows: tables } = await sql<{ name: string }>`
      SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(db);
    const linked: string[] = [];
    for (const { name } of tables) {
      const { rows: keys } = await sql<{ table: string }>`SELECT "table" FROM pragma_foreign_key_list(${name})`.execute(db);
      const { rows: columns } = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${name})`.execute(db);
      if (keys.some((k) => k.table === 'users') || columns.some((c) => PERSON_COLUMNS.includes(c.name))) linked.push(name);
    }
    return linked.sort();
  }

  test('the live schema finds the tables it should (the scan itself works)', async () => {
    const linked = await userLinkedTables();
    for (const table of ['users', 'work_events', 'finalized_weeks', 'feedback', 'verification_codes']) {
      assert.ok(linked.includes(table), `${table} in ${linked.join(', ')}`);
    }
  });

  test('every user-linked table of the live schema has a section in the export', async () => {
    const { token } = await createRegisteredUser(t);
    const exported = (await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(token) })).json();
    const sections: Record<string, string> = PERSONAL_DATA_TABLES;
    for (const table of await userLinkedTables()) {
      const section = sections[table];
      assert.ok(section, `table ${table} references users but is not in the export (PERSONAL_DATA_TABLES)`);
      assert.ok(section in exported, `export section ${section} (table ${table}) is missing`);
    }
  });

  test("the privacy ledger: the months that counted the user and the ε they spent", async () => {
    const { token, user } = await createRegisteredUser(t);
    const other = await createRegisteredUser(t);
    const entry = { period: '2026-01', state_code: 'BE', specialty: 'innere_medizin', profession: 'physician', epsilon: 1, created_at: '2026-02-08T03:00:00.000Z' };
    await t.database.db.insertInto('privacy_ledger').values([{ user_id: user.id, ...entry }, { user_id: other.user.id, ...entry }]).execute();
    const exported = (await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(token) })).json();
    assert.deepEqual(exported.privacy_ledger, [entry]);
  });
});
