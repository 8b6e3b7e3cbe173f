import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Migrator } from 'kysely';
import { openDatabase } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { LEGACY_ROLE_LEVELS, LEGACY_SPECIALTIES, groupOfSpecialization } from '../../src/services/taxonomy.js';
import { backend, createTestDatabase } from '../helpers/database.js';

describe(`migration 0007_app_v2 (${backend})`, () => {
  test('moves every stored profile of the first vocabulary to the app vocabulary', async () => {
    const testDb = await createTestDatabase();
    const database = openDatabase(testDb.config);
    const { db } = database;
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      assert.equal((await migrator.migrateTo('0006_feedback')).error, undefined);

      // One registered doctor per old specialty (role levels in turn), one who only signed in.
      const old = LEGACY_SPECIALTIES.map((specialty, i) => ({
        id: randomUUID(),
        email_hash: `hash-${i}`,
        hospital_id: 'charite-berlin',
        specialty: specialty.code,
        role_level: LEGACY_ROLE_LEVELS[i % LEGACY_ROLE_LEVELS.length]!.code,
        state_code: 'BE',
        created_at: '2026-01-01T00:00:00.000Z',
        terms_accepted_version: '2026-01',
        privacy_accepted_version: '2026-01',
        consent_accepted_at: '2026-01-01T00:00:00.000Z',
        is_demo: false,
      }));
      const signedInOnly = { id: randomUUID(), email_hash: 'hash-new', created_at: '2026-01-01T00:00:00.000Z', is_demo: false };
      // Raw rows: the table types describe the schema after 0007.
      await db.insertInto('users').values([...old, signedInOnly] as never).execute();

      await migrateToLatest(db);

      const rows = await db.selectFrom('users').selectAll().execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      assert.equal(LEGACY_SPECIALTIES.length, 35, 'the first vocabulary had 35 specialties');
      for (const [i, specialty] of LEGACY_SPECIALTIES.entries()) {
        const row = byId.get(old[i]!.id)!;
        const seniority = LEGACY_ROLE_LEVELS[i % LEGACY_ROLE_LEVELS.length]!.seniority;
        assert.deepEqual(
          {
            profession: row.profession,
            seniority: row.seniority,
            role_level: row.role_level,
            department_group: row.department_group,
            specialty: row.specialty,
            specialization_code: row.specialization_code,
            country_code: row.country_code,
            hospital_ref_id: row.hospital_ref_id,
            hospital_id: row.hospital_id,
          },
          {
            profession: 'physician',
            seniority,
            role_level: seniority,
            department_group: specialty.group,
            specialty: specialty.group,
            specialization_code: specialty.specialization,
            country_code: 'DEU',
            hospital_ref_id: null,
            hospital_id: 'charite-berlin',
          },
          specialty.code,
        );
        // The code the migration wrote belongs to the group it wrote (the taxonomy's rule).
        if (row.specialization_code !== null) assert.equal(groupOfSpecialization(row.specialization_code), row.department_group);
      }
      const fresh = byId.get(signedInOnly.id)!;
      assert.deepEqual(
        [fresh.profession, fresh.seniority, fresh.department_group, fresh.specialty, fresh.role_level, fresh.country_code],
        [null, null, null, null, null, 'DEU'],
      );
    } finally {
      await database.destroy();
      await testDb.drop();
    }
  });
});
