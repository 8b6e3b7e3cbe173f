/**
 * The shipped mobile app (v2.1.x) as our client:
 * - users get the app's profile vocabulary (profession, seniority, department group, specialization code,
 *   hospital directory id, country), and stored profiles move to it: each of the first vocabulary's 35
 *   specialties becomes its department group (also in the legacy `specialty` field, which the app fills with
 *   the group) and, where one matches, a specialization code; role levels become physician seniorities.
 *   The mapping is `LEGACY_SPECIALTIES` / `LEGACY_ROLE_LEVELS` in src/services/taxonomy.ts, copied here as
 *   literals because a migration must never change when that module does;
 * - finalized weeks, one row per user and ISO week, with the profile as it was when the week was sent;
 * - e-mail addresses proven by `/verification/confirm`, for the token-less `/auth/register` that follows;
 * - Apple and Google identities of social sign-in;
 * - interval half-widths for planned hours and overtime of published cells.
 */
import { sql, type Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

/** old specialty -> [department group, specialization code or null]; frozen copy of the taxonomy's mapping. */
const SPECIALTY_MAPPING: Record<string, [string, string | null]> = {
  anaesthesiology: ['anaesthesiologie_intensiv', 'AN01'],
  general_practice: ['sonstige', null],
  ophthalmology: ['hno_augen_mkg', '2700'],
  general_surgery: ['chirurgie', '1500'],
  vascular_surgery: ['chirurgie', '1800'],
  cardiac_surgery: ['chirurgie', '2100'],
  paediatric_surgery: ['paediatrie', '1300'],
  orthopaedics_trauma_surgery: ['chirurgie', '2316'],
  plastic_surgery: ['chirurgie', '1900'],
  thoracic_surgery: ['chirurgie', '2000'],
  visceral_surgery: ['chirurgie', '1500'],
  neurosurgery: ['neurologie_psychiatrie', '1700'],
  oral_maxillofacial_surgery: ['hno_augen_mkg', '3500'],
  obstetrics_gynaecology: ['gynaekologie_geburtshilfe', '2400'],
  otorhinolaryngology: ['hno_augen_mkg', '2600'],
  dermatology: ['diagnostik_radiologie', '3400'],
  internal_medicine: ['innere_medizin', '0100'],
  cardiology: ['innere_medizin', '0300'],
  gastroenterology: ['innere_medizin', '0700'],
  haematology_oncology: ['innere_medizin', '0500'],
  nephrology: ['innere_medizin', '0400'],
  pneumology: ['innere_medizin', '0800'],
  endocrinology_diabetology: ['innere_medizin', '0600'],
  geriatrics: ['innere_medizin', '0200'],
  paediatrics: ['paediatrie', '1000'],
  child_adolescent_psychiatry: ['neurologie_psychiatrie', '3000'],
  neurology: ['neurologie_psychiatrie', '2800'],
  psychiatry_psychotherapy: ['neurologie_psychiatrie', '2900'],
  psychosomatic_medicine: ['neurologie_psychiatrie', '3100'],
  radiology: ['diagnostik_radiologie', 'RD01'],
  nuclear_medicine: ['diagnostik_radiologie', '3200'],
  radiation_oncology: ['diagnostik_radiologie', '3300'],
  pathology: ['diagnostik_radiologie', 'PA01'],
  urology: ['chirurgie', '2200'],
  other: ['sonstige', null],
};

const ROLE_LEVEL_MAPPING: Record<string, string> = {
  assistenzarzt: 'assistenzarzt',
  facharzt: 'facharzt',
  oberarzt: 'oberarzt_plus',
  leitender_oberarzt: 'oberarzt_plus',
  chefarzt: 'oberarzt_plus',
};

/** `case <column> when 'a' then 'x' ... end` (null for values not listed). */
function caseOf(column: string, mapping: Record<string, string | null>) {
  const arms = Object.entries(mapping).map(([from, to]) => sql`when ${sql.lit(from)} then ${to === null ? sql`null` : sql.lit(to)}`);
  return sql`case ${sql.ref(column)} ${sql.join(arms, sql` `)} end`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(db);

  for (const column of ['profession', 'seniority', 'department_group', 'specialization_code'] as const) {
    await db.schema.alterTable('users').addColumn(column, 'text').execute();
  }
  await db.schema.alterTable('users').addColumn('hospital_ref_id', 'integer').execute();
  await db.schema
    .alterTable('users')
    .addColumn('country_code', 'text', (c) => c.notNull().defaultTo('DEU'))
    .execute();

  const groups = Object.fromEntries(Object.entries(SPECIALTY_MAPPING).map(([from, [group]]) => [from, group]));
  const specializations = Object.fromEntries(Object.entries(SPECIALTY_MAPPING).map(([from, [, code]]) => [from, code]));
  // Every account so far was a doctor's: whoever chose a role level is a physician of that seniority.
  await sql`
    update users set
      department_group = ${caseOf('specialty', groups)},
      specialization_code = ${caseOf('specialty', specializations)},
      seniority = ${caseOf('role_level', ROLE_LEVEL_MAPPING)},
      profession = case when role_level is null then null else 'physician' end
    where specialty is not null or role_level is not null`.execute(db);
  // The legacy fields now hold what the app sends in them: the group and the seniority.
  await sql`
    update users set
      specialty = coalesce(department_group, specialty),
      role_level = coalesce(seniority, role_level)
    where specialty is not null or role_level is not null`.execute(db);

  await db.schema
    .createTable('finalized_weeks')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('week_start', t.date, (c) => c.notNull())
    .addColumn('week_end', t.date, (c) => c.notNull())
    // Hours are sent with two decimals; stored as integer hundredths of an hour, they read back exactly.
    .addColumn('planned_centihours', 'integer', (c) => c.notNull())
    .addColumn('actual_centihours', 'integer', (c) => c.notNull())
    // The profile when the week was sent (a later profile change does not move past weeks).
    .addColumn('hospital_id', 'text')
    .addColumn('specialty', 'text')
    .addColumn('role_level', 'text')
    .addColumn('state_code', 'text')
    .addColumn('country_code', 'text', (c) => c.notNull())
    .addColumn('profession', 'text')
    .addColumn('seniority', 'text')
    .addColumn('department_group', 'text')
    .addColumn('specialization_code', 'text')
    .addColumn('hospital_ref_id', 'integer')
    .addColumn('finalized_at', t.timestamp, (c) => c.notNull())
    // One week per user: the key that turns every repeat of a send into 409.
    .addUniqueConstraint('finalized_weeks_user_id_week_start_key', ['user_id', 'week_start'])
    .execute();
  // Aggregation scans weeks by date.
  await db.schema.createIndex('finalized_weeks_week_start_idx').on('finalized_weeks').column('week_start').execute();

  await db.schema
    .createTable('email_verifications')
    .addColumn('email_hash', 'text', (c) => c.primaryKey())
    .addColumn('verified_at', t.timestamp, (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('email_verifications_expires_at_idx').on('email_verifications').column('expires_at').execute();

  await db.schema
    .createTable('social_identities')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('social_identities_pkey', ['provider', 'subject'])
    .execute();
  await db.schema.createIndex('social_identities_user_id_idx').on('social_identities').column('user_id').execute();

  await db.schema.alterTable('stats_by_state_specialty').addColumn('planned_ci90_half_width', t.float).execute();
  await db.schema.alterTable('stats_by_state_specialty').addColumn('overtime_ci90_half_width', t.float).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stats_by_state_specialty').dropColumn('overtime_ci90_half_width').execute();
  await db.schema.alterTable('stats_by_state_specialty').dropColumn('planned_ci90_half_width').execute();
  await db.schema.dropTable('social_identities').execute();
  await db.schema.dropTable('email_verifications').execute();
  await db.schema.dropTable('finalized_weeks').execute();
  for (const column of ['country_code', 'hospital_ref_id', 'specialization_code', 'department_group', 'seniority', 'profession']) {
    await db.schema.alterTable('users').dropColumn(column).execute();
  }
}
