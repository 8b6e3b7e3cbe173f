/**
 * The profile vocabulary: the Open Working Hours app's (v2.1.x, `src/lib/taxonomy/`), which is the
 * project's vocabulary. Users, finalized weeks, statistics cells, the public page and `GET /taxonomy` all use
 * these machine codes; the labels are for display. The contract (`mobile-app-v2.md` §8) lists them.
 *
 * - profession: physician, nurse, other;
 * - seniority: depends on the profession (none for `other`);
 * - department group: ten groups; also the legacy `specialty` field and the statistics cell key;
 * - specialization code: §301 SGB V department keys plus five own ones, each in exactly one group;
 * - state: the 16 German states; the country is always Germany (`DEU`);
 * - hospital: `hospital_ref_id`, any integer of the app's directory (which ships in the app), or null;
 * - legacy fields `hospital_id`, `specialty`, `role_level`: free text the app fills with the values above or
 *   with `not_specified`.
 *
 * The codes are stable identifiers stored in the database and in published statistics: never rename or
 * remove one; add new ones at will.
 */

export interface TaxonomyEntry<Code extends string = string> {
  code: Code;
  /** German label. */
  de: string;
  /** English label. */
  en: string;
}

/** What the app sends in a legacy field when the user chose nothing. */
export const NOT_SPECIFIED = 'not_specified';
/** Every account is in Germany; the app never sends a country. */
export const COUNTRY_CODE = 'DEU';

export const PROFESSIONS = [
  { code: 'physician', de: 'Ärzt:in', en: 'Physician' },
  { code: 'nurse', de: 'Pflegekraft', en: 'Nurse' },
  { code: 'other', de: 'Sonstige', en: 'Other' },
] as const satisfies readonly TaxonomyEntry[];

export const SENIORITIES = [
  { code: 'assistenzarzt', profession: 'physician', de: 'Assistenzarzt/-ärztin', en: 'Resident' },
  { code: 'facharzt', profession: 'physician', de: 'Facharzt/-ärztin', en: 'Specialist' },
  { code: 'oberarzt_plus', profession: 'physician', de: 'Oberarzt/-ärztin+', en: 'Senior Physician+' },
  { code: 'pflegefachkraft', profession: 'nurse', de: 'Pflegefachkraft', en: 'Nurse' },
  { code: 'leitung', profession: 'nurse', de: 'Leitung', en: 'Management' },
] as const satisfies readonly (TaxonomyEntry & { profession: string })[];

export const DEPARTMENT_GROUPS = [
  { code: 'innere_medizin', de: 'Innere Medizin', en: 'Internal Medicine' },
  { code: 'chirurgie', de: 'Chirurgie', en: 'Surgery' },
  { code: 'anaesthesiologie_intensiv', de: 'Anästhesiologie / Intensivmedizin', en: 'Anaesthesiology / ICU' },
  { code: 'notaufnahme', de: 'Notaufnahme', en: 'Emergency Department' },
  { code: 'paediatrie', de: 'Pädiatrie', en: 'Paediatrics' },
  { code: 'gynaekologie_geburtshilfe', de: 'Gynäkologie / Geburtshilfe', en: 'Gynaecology / Obstetrics' },
  { code: 'neurologie_psychiatrie', de: 'Neurologie / Psychiatrie', en: 'Neurology / Psychiatry' },
  { code: 'hno_augen_mkg', de: 'HNO / Augen / MKG', en: 'ENT / Ophthalmology / Maxillofacial' },
  { code: 'diagnostik_radiologie', de: 'Diagnostik / Radiologie', en: 'Diagnostics / Radiology' },
  { code: 'sonstige', de: 'Sonstige', en: 'Other' },
] as const satisfies readonly TaxonomyEntry[];

export type ProfessionCode = (typeof PROFESSIONS)[number]['code'];
export type SeniorityCode = (typeof SENIORITIES)[number]['code'];
export type DepartmentGroupCode = (typeof DEPARTMENT_GROUPS)[number]['code'];

/**
 * The specialization codes the original backend accepts (contract §8.6): §301 SGB V department keys plus five
 * own ones, each in exactly one department group. The app has no list and never sends one; the server
 * accepts and echoes them.
 */
export const SPECIALIZATIONS = [
  { code: '0100', department_group: 'innere_medizin', de: 'Innere Medizin', en: 'Internal medicine' },
  { code: '0200', department_group: 'innere_medizin', de: 'Geriatrie', en: 'Geriatrics' },
  { code: '0300', department_group: 'innere_medizin', de: 'Kardiologie', en: 'Cardiology' },
  { code: '0400', department_group: 'innere_medizin', de: 'Nephrologie', en: 'Nephrology' },
  { code: '0500', department_group: 'innere_medizin', de: 'Hämatologie und internistische Onkologie', en: 'Haematology and oncology' },
  { code: '0600', department_group: 'innere_medizin', de: 'Endokrinologie', en: 'Endocrinology' },
  { code: '0700', department_group: 'innere_medizin', de: 'Gastroenterologie', en: 'Gastroenterology' },
  { code: '0800', department_group: 'innere_medizin', de: 'Pneumologie', en: 'Pulmonology' },
  { code: '0900', department_group: 'innere_medizin', de: 'Rheumatologie', en: 'Rheumatology' },
  { code: '1400', department_group: 'innere_medizin', de: 'Lungen- und Bronchialheilkunde', en: 'Lung and bronchial medicine' },
  { code: '1500', department_group: 'chirurgie', de: 'Allgemeine Chirurgie', en: 'General surgery' },
  { code: '1600', department_group: 'chirurgie', de: 'Unfallchirurgie', en: 'Trauma surgery' },
  { code: '1800', department_group: 'chirurgie', de: 'Gefäßchirurgie', en: 'Vascular surgery' },
  { code: '1900', department_group: 'chirurgie', de: 'Plastische Chirurgie', en: 'Plastic surgery' },
  { code: '2000', department_group: 'chirurgie', de: 'Thoraxchirurgie', en: 'Thoracic surgery' },
  { code: '2100', department_group: 'chirurgie', de: 'Herzchirurgie', en: 'Cardiac surgery' },
  { code: '2200', department_group: 'chirurgie', de: 'Urologie', en: 'Urology' },
  { code: '2300', department_group: 'chirurgie', de: 'Orthopädie', en: 'Orthopaedics' },
  { code: '2316', department_group: 'chirurgie', de: 'Orthopädie und Unfallchirurgie', en: 'Orthopaedics and trauma surgery' },
  { code: '3600', department_group: 'anaesthesiologie_intensiv', de: 'Intensivmedizin', en: 'Intensive care' },
  { code: 'AN01', department_group: 'anaesthesiologie_intensiv', de: 'Anästhesiologie', en: 'Anaesthesiology' },
  { code: 'ZNA1', department_group: 'notaufnahme', de: 'Zentrale Notaufnahme', en: 'Central emergency department' },
  { code: '1000', department_group: 'paediatrie', de: 'Pädiatrie', en: 'Paediatrics' },
  { code: '1100', department_group: 'paediatrie', de: 'Kinderkardiologie', en: 'Paediatric cardiology' },
  { code: '1200', department_group: 'paediatrie', de: 'Neonatologie', en: 'Neonatology' },
  { code: '1300', department_group: 'paediatrie', de: 'Kinderchirurgie', en: 'Paediatric surgery' },
  { code: '2400', department_group: 'gynaekologie_geburtshilfe', de: 'Frauenheilkunde und Geburtshilfe', en: 'Obstetrics and gynaecology' },
  { code: '2425', department_group: 'gynaekologie_geburtshilfe', de: 'Frauenheilkunde', en: 'Gynaecology' },
  { code: '2500', department_group: 'gynaekologie_geburtshilfe', de: 'Geburtshilfe', en: 'Obstetrics' },
  { code: '2800', department_group: 'neurologie_psychiatrie', de: 'Neurologie', en: 'Neurology' },
  { code: '1700', department_group: 'neurologie_psychiatrie', de: 'Neurochirurgie', en: 'Neurosurgery' },
  { code: '2900', department_group: 'neurologie_psychiatrie', de: 'Allgemeine Psychiatrie', en: 'General psychiatry' },
  { code: '3000', department_group: 'neurologie_psychiatrie', de: 'Kinder- und Jugendpsychiatrie', en: 'Child and adolescent psychiatry' },
  { code: '3100', department_group: 'neurologie_psychiatrie', de: 'Psychosomatik/Psychotherapie', en: 'Psychosomatic medicine and psychotherapy' },
  { code: '2600', department_group: 'hno_augen_mkg', de: 'Hals-, Nasen-, Ohrenheilkunde', en: 'Otorhinolaryngology (ENT)' },
  { code: '2700', department_group: 'hno_augen_mkg', de: 'Augenheilkunde', en: 'Ophthalmology' },
  { code: '3500', department_group: 'hno_augen_mkg', de: 'Zahn- und Kieferheilkunde, Mund- und Kieferchirurgie', en: 'Dentistry and oral and maxillofacial surgery' },
  { code: '3200', department_group: 'diagnostik_radiologie', de: 'Nuklearmedizin', en: 'Nuclear medicine' },
  { code: '3300', department_group: 'diagnostik_radiologie', de: 'Strahlenheilkunde', en: 'Radiotherapy' },
  { code: '3400', department_group: 'diagnostik_radiologie', de: 'Dermatologie', en: 'Dermatology' },
  { code: 'RD01', department_group: 'diagnostik_radiologie', de: 'Radiologie', en: 'Radiology' },
  { code: 'PA01', department_group: 'diagnostik_radiologie', de: 'Pathologie', en: 'Pathology' },
  { code: '3700', department_group: 'sonstige', de: 'Sonstige Fachabteilung', en: 'Other department' },
] as const satisfies readonly (TaxonomyEntry & { department_group: DepartmentGroupCode })[];

export const STATES = [
  { code: 'BW', de: 'Baden-Württemberg', en: 'Baden-Württemberg' },
  { code: 'BY', de: 'Bayern', en: 'Bavaria' },
  { code: 'BE', de: 'Berlin', en: 'Berlin' },
  { code: 'BB', de: 'Brandenburg', en: 'Brandenburg' },
  { code: 'HB', de: 'Bremen', en: 'Bremen' },
  { code: 'HH', de: 'Hamburg', en: 'Hamburg' },
  { code: 'HE', de: 'Hessen', en: 'Hesse' },
  { code: 'MV', de: 'Mecklenburg-Vorpommern', en: 'Mecklenburg-Western Pomerania' },
  { code: 'NI', de: 'Niedersachsen', en: 'Lower Saxony' },
  { code: 'NW', de: 'Nordrhein-Westfalen', en: 'North Rhine-Westphalia' },
  { code: 'RP', de: 'Rheinland-Pfalz', en: 'Rhineland-Palatinate' },
  { code: 'SL', de: 'Saarland', en: 'Saarland' },
  { code: 'SN', de: 'Sachsen', en: 'Saxony' },
  { code: 'ST', de: 'Sachsen-Anhalt', en: 'Saxony-Anhalt' },
  { code: 'SH', de: 'Schleswig-Holstein', en: 'Schleswig-Holstein' },
  { code: 'TH', de: 'Thüringen', en: 'Thuringia' },
] as const satisfies readonly TaxonomyEntry[];

export type StateCode = (typeof STATES)[number]['code'];

/**
 * The statistics cell key for a department: the group, or `not_specified` for people who chose none. This is
 * the value the app sends as `specialty` and queries the insights card with.
 */
export const SPECIALTY_KEYS = [...DEPARTMENT_GROUPS.map((g) => g.code), NOT_SPECIFIED] as const;
/** Label of the `not_specified` cell. */
export const NOT_SPECIFIED_LABEL: TaxonomyEntry = { code: NOT_SPECIFIED, de: 'Keine Angabe', en: 'Not specified' };

export const PROFESSION_CODES = PROFESSIONS.map((p) => p.code) as ProfessionCode[];
export const SENIORITY_CODES = SENIORITIES.map((s) => s.code) as SeniorityCode[];
export const DEPARTMENT_GROUP_CODES = DEPARTMENT_GROUPS.map((g) => g.code) as DepartmentGroupCode[];
export const SPECIALIZATION_CODES: string[] = SPECIALIZATIONS.map((s) => s.code);
export const STATE_CODES = STATES.map((s) => s.code) as StateCode[];

const byCode = <T extends { code: string }>(entries: readonly T[]) => new Map<string, T>(entries.map((e) => [e.code, e]));
const PROFESSION_BY_CODE = byCode<TaxonomyEntry>(PROFESSIONS);
const SENIORITY_BY_CODE = byCode<(typeof SENIORITIES)[number]>(SENIORITIES);
const DEPARTMENT_GROUP_BY_CODE = byCode<TaxonomyEntry>(DEPARTMENT_GROUPS);
const SPECIALIZATION_BY_CODE = byCode<(typeof SPECIALIZATIONS)[number]>(SPECIALIZATIONS);
const STATE_BY_CODE = byCode<TaxonomyEntry>(STATES);

export const isProfession = (code: string): code is ProfessionCode => PROFESSION_BY_CODE.has(code);
export const isSeniority = (code: string): code is SeniorityCode => SENIORITY_BY_CODE.has(code);
export const isDepartmentGroup = (code: string): code is DepartmentGroupCode => DEPARTMENT_GROUP_BY_CODE.has(code);
export const isSpecializationCode = (code: string): boolean => SPECIALIZATION_BY_CODE.has(code);
export const isStateCode = (code: string): code is StateCode => STATE_BY_CODE.has(code);

/** Whether a seniority belongs to a profession (`other` has none). */
export const seniorityFits = (profession: string, seniority: string): boolean =>
  SENIORITY_BY_CODE.get(seniority)?.profession === profession;
/** The seniorities a profession offers, for messages. */
export const senioritiesOf = (profession: string): string[] =>
  SENIORITIES.filter((s) => s.profession === profession).map((s) => s.code);
/** The department group a specialization code belongs to. */
export const groupOfSpecialization = (code: string): DepartmentGroupCode | undefined => SPECIALIZATION_BY_CODE.get(code)?.department_group;

/** The entry for a code (labels for display), or undefined for an unknown code. */
export const stateByCode = (code: string) => STATE_BY_CODE.get(code);
/** Labels of a statistics specialty key: a department group, `not_specified` or a legacy specialty (old releases). */
export const specialtyByCode = (code: string): TaxonomyEntry | undefined =>
  DEPARTMENT_GROUP_BY_CODE.get(code) ?? (code === NOT_SPECIFIED ? NOT_SPECIFIED_LABEL : LEGACY_SPECIALTY_BY_CODE.get(code));

/**
 * The specialties of the first vocabulary (before the app's), kept so that months published under them still
 * have labels, and so that the migration to department groups is written down in one place. Each maps to its
 * department group and, where one matches exactly, to a specialization code of that group (docs: README,
 * "Profile vocabulary").
 */
export const LEGACY_SPECIALTIES = [
  { code: 'anaesthesiology', group: 'anaesthesiologie_intensiv', specialization: 'AN01', de: 'Anästhesiologie', en: 'Anaesthesiology' },
  { code: 'general_practice', group: 'sonstige', specialization: null, de: 'Allgemeinmedizin', en: 'General practice' },
  { code: 'ophthalmology', group: 'hno_augen_mkg', specialization: '2700', de: 'Augenheilkunde', en: 'Ophthalmology' },
  { code: 'general_surgery', group: 'chirurgie', specialization: '1500', de: 'Allgemeinchirurgie', en: 'General surgery' },
  { code: 'vascular_surgery', group: 'chirurgie', specialization: '1800', de: 'Gefäßchirurgie', en: 'Vascular surgery' },
  { code: 'cardiac_surgery', group: 'chirurgie', specialization: '2100', de: 'Herzchirurgie', en: 'Cardiac surgery' },
  { code: 'paediatric_surgery', group: 'paediatrie', specialization: '1300', de: 'Kinderchirurgie', en: 'Paediatric surgery' },
  { code: 'orthopaedics_trauma_surgery', group: 'chirurgie', specialization: '2316', de: 'Orthopädie und Unfallchirurgie', en: 'Orthopaedics and trauma surgery' },
  { code: 'plastic_surgery', group: 'chirurgie', specialization: '1900', de: 'Plastische, Rekonstruktive und Ästhetische Chirurgie', en: 'Plastic, reconstructive and aesthetic surgery' },
  { code: 'thoracic_surgery', group: 'chirurgie', specialization: '2000', de: 'Thoraxchirurgie', en: 'Thoracic surgery' },
  { code: 'visceral_surgery', group: 'chirurgie', specialization: '1500', de: 'Viszeralchirurgie', en: 'Visceral surgery' },
  { code: 'neurosurgery', group: 'neurologie_psychiatrie', specialization: '1700', de: 'Neurochirurgie', en: 'Neurosurgery' },
  { code: 'oral_maxillofacial_surgery', group: 'hno_augen_mkg', specialization: '3500', de: 'Mund-Kiefer-Gesichtschirurgie', en: 'Oral and maxillofacial surgery' },
  { code: 'obstetrics_gynaecology', group: 'gynaekologie_geburtshilfe', specialization: '2400', de: 'Frauenheilkunde und Geburtshilfe', en: 'Obstetrics and gynaecology' },
  { code: 'otorhinolaryngology', group: 'hno_augen_mkg', specialization: '2600', de: 'Hals-Nasen-Ohrenheilkunde', en: 'Otorhinolaryngology (ENT)' },
  { code: 'dermatology', group: 'diagnostik_radiologie', specialization: '3400', de: 'Haut- und Geschlechtskrankheiten', en: 'Dermatology and venereology' },
  { code: 'internal_medicine', group: 'innere_medizin', specialization: '0100', de: 'Innere Medizin', en: 'Internal medicine' },
  { code: 'cardiology', group: 'innere_medizin', specialization: '0300', de: 'Innere Medizin und Kardiologie', en: 'Cardiology' },
  { code: 'gastroenterology', group: 'innere_medizin', specialization: '0700', de: 'Innere Medizin und Gastroenterologie', en: 'Gastroenterology' },
  { code: 'haematology_oncology', group: 'innere_medizin', specialization: '0500', de: 'Innere Medizin und Hämatologie und Onkologie', en: 'Haematology and oncology' },
  { code: 'nephrology', group: 'innere_medizin', specialization: '0400', de: 'Innere Medizin und Nephrologie', en: 'Nephrology' },
  { code: 'pneumology', group: 'innere_medizin', specialization: '0800', de: 'Innere Medizin und Pneumologie', en: 'Pulmonology' },
  { code: 'endocrinology_diabetology', group: 'innere_medizin', specialization: '0600', de: 'Innere Medizin und Endokrinologie und Diabetologie', en: 'Endocrinology and diabetology' },
  { code: 'geriatrics', group: 'innere_medizin', specialization: '0200', de: 'Innere Medizin und Geriatrie', en: 'Geriatrics' },
  { code: 'paediatrics', group: 'paediatrie', specialization: '1000', de: 'Kinder- und Jugendmedizin', en: 'Paediatrics and adolescent medicine' },
  { code: 'child_adolescent_psychiatry', group: 'neurologie_psychiatrie', specialization: '3000', de: 'Kinder- und Jugendpsychiatrie und -psychotherapie', en: 'Child and adolescent psychiatry' },
  { code: 'neurology', group: 'neurologie_psychiatrie', specialization: '2800', de: 'Neurologie', en: 'Neurology' },
  { code: 'psychiatry_psychotherapy', group: 'neurologie_psychiatrie', specialization: '2900', de: 'Psychiatrie und Psychotherapie', en: 'Psychiatry and psychotherapy' },
  { code: 'psychosomatic_medicine', group: 'neurologie_psychiatrie', specialization: '3100', de: 'Psychosomatische Medizin und Psychotherapie', en: 'Psychosomatic medicine and psychotherapy' },
  { code: 'radiology', group: 'diagnostik_radiologie', specialization: 'RD01', de: 'Radiologie', en: 'Radiology' },
  { code: 'nuclear_medicine', group: 'diagnostik_radiologie', specialization: '3200', de: 'Nuklearmedizin', en: 'Nuclear medicine' },
  { code: 'radiation_oncology', group: 'diagnostik_radiologie', specialization: '3300', de: 'Strahlentherapie', en: 'Radiation oncology' },
  { code: 'pathology', group: 'diagnostik_radiologie', specialization: 'PA01', de: 'Pathologie', en: 'Pathology' },
  { code: 'urology', group: 'chirurgie', specialization: '2200', de: 'Urologie', en: 'Urology' },
  { code: 'other', group: 'sonstige', specialization: null, de: 'Anderes Fachgebiet', en: 'Other specialty' },
] as const satisfies readonly (TaxonomyEntry & { group: DepartmentGroupCode; specialization: string | null })[];

/** The first vocabulary's role levels and the seniority each became (all of them physicians). */
export const LEGACY_ROLE_LEVELS = [
  { code: 'assistenzarzt', seniority: 'assistenzarzt' },
  { code: 'facharzt', seniority: 'facharzt' },
  { code: 'oberarzt', seniority: 'oberarzt_plus' },
  { code: 'leitender_oberarzt', seniority: 'oberarzt_plus' },
  { code: 'chefarzt', seniority: 'oberarzt_plus' },
] as const satisfies readonly { code: string; seniority: SeniorityCode }[];

const LEGACY_SPECIALTY_BY_CODE = byCode<TaxonomyEntry>(LEGACY_SPECIALTIES);

/** What `GET /taxonomy` serves: every value with German and English labels. */
export const TAXONOMY = {
  country_code: COUNTRY_CODE,
  not_specified: NOT_SPECIFIED,
  professions: PROFESSIONS,
  seniorities: SENIORITIES,
  department_groups: DEPARTMENT_GROUPS,
  specializations: SPECIALIZATIONS,
  states: STATES,
} as const;
