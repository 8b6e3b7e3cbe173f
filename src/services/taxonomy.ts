/**
 * The fixed vocabularies of a profile: German states, medical specialties and role levels. Users, work
 * statistics and the public statistics page all use these machine codes; the labels are for display.
 *
 * The codes are stable identifiers stored in the database and in published statistics: never rename or
 * remove one (mark it as no longer offered instead); add new ones at will.
 */

export interface TaxonomyEntry<Code extends string = string> {
  code: Code;
  /** German label. */
  de: string;
  /** English label. */
  en: string;
}

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

/**
 * The Facharzt fields of the (Muster-)Weiterbildungsordnung in which hospital doctors work, with the
 * internal-medicine subspecialties kept apart because their working hours differ a lot. `other` catches the
 * rest, so that nobody has to pick a wrong one.
 */
export const SPECIALTIES = [
  { code: 'anaesthesiology', de: 'Anästhesiologie', en: 'Anaesthesiology' },
  { code: 'general_practice', de: 'Allgemeinmedizin', en: 'General practice' },
  { code: 'ophthalmology', de: 'Augenheilkunde', en: 'Ophthalmology' },
  { code: 'general_surgery', de: 'Allgemeinchirurgie', en: 'General surgery' },
  { code: 'vascular_surgery', de: 'Gefäßchirurgie', en: 'Vascular surgery' },
  { code: 'cardiac_surgery', de: 'Herzchirurgie', en: 'Cardiac surgery' },
  { code: 'paediatric_surgery', de: 'Kinderchirurgie', en: 'Paediatric surgery' },
  { code: 'orthopaedics_trauma_surgery', de: 'Orthopädie und Unfallchirurgie', en: 'Orthopaedics and trauma surgery' },
  { code: 'plastic_surgery', de: 'Plastische, Rekonstruktive und Ästhetische Chirurgie', en: 'Plastic, reconstructive and aesthetic surgery' },
  { code: 'thoracic_surgery', de: 'Thoraxchirurgie', en: 'Thoracic surgery' },
  { code: 'visceral_surgery', de: 'Viszeralchirurgie', en: 'Visceral surgery' },
  { code: 'neurosurgery', de: 'Neurochirurgie', en: 'Neurosurgery' },
  { code: 'oral_maxillofacial_surgery', de: 'Mund-Kiefer-Gesichtschirurgie', en: 'Oral and maxillofacial surgery' },
  { code: 'obstetrics_gynaecology', de: 'Frauenheilkunde und Geburtshilfe', en: 'Obstetrics and gynaecology' },
  { code: 'otorhinolaryngology', de: 'Hals-Nasen-Ohrenheilkunde', en: 'Otorhinolaryngology (ENT)' },
  { code: 'dermatology', de: 'Haut- und Geschlechtskrankheiten', en: 'Dermatology and venereology' },
  { code: 'internal_medicine', de: 'Innere Medizin', en: 'Internal medicine' },
  { code: 'cardiology', de: 'Innere Medizin und Kardiologie', en: 'Cardiology' },
  { code: 'gastroenterology', de: 'Innere Medizin und Gastroenterologie', en: 'Gastroenterology' },
  { code: 'haematology_oncology', de: 'Innere Medizin und Hämatologie und Onkologie', en: 'Haematology and oncology' },
  { code: 'nephrology', de: 'Innere Medizin und Nephrologie', en: 'Nephrology' },
  { code: 'pneumology', de: 'Innere Medizin und Pneumologie', en: 'Pulmonology' },
  { code: 'endocrinology_diabetology', de: 'Innere Medizin und Endokrinologie und Diabetologie', en: 'Endocrinology and diabetology' },
  { code: 'geriatrics', de: 'Innere Medizin und Geriatrie', en: 'Geriatrics' },
  { code: 'paediatrics', de: 'Kinder- und Jugendmedizin', en: 'Paediatrics and adolescent medicine' },
  { code: 'child_adolescent_psychiatry', de: 'Kinder- und Jugendpsychiatrie und -psychotherapie', en: 'Child and adolescent psychiatry' },
  { code: 'neurology', de: 'Neurologie', en: 'Neurology' },
  { code: 'psychiatry_psychotherapy', de: 'Psychiatrie und Psychotherapie', en: 'Psychiatry and psychotherapy' },
  { code: 'psychosomatic_medicine', de: 'Psychosomatische Medizin und Psychotherapie', en: 'Psychosomatic medicine and psychotherapy' },
  { code: 'radiology', de: 'Radiologie', en: 'Radiology' },
  { code: 'nuclear_medicine', de: 'Nuklearmedizin', en: 'Nuclear medicine' },
  { code: 'radiation_oncology', de: 'Strahlentherapie', en: 'Radiation oncology' },
  { code: 'pathology', de: 'Pathologie', en: 'Pathology' },
  { code: 'urology', de: 'Urologie', en: 'Urology' },
  { code: 'other', de: 'Anderes Fachgebiet', en: 'Other specialty' },
] as const satisfies readonly TaxonomyEntry[];

/** Hospital career levels, from doctor in training to head of department. */
export const ROLE_LEVELS = [
  { code: 'assistenzarzt', de: 'Assistenzärztin/Assistenzarzt (in Weiterbildung)', en: 'Resident (in specialty training)' },
  { code: 'facharzt', de: 'Fachärztin/Facharzt', en: 'Specialist' },
  { code: 'oberarzt', de: 'Oberärztin/Oberarzt', en: 'Senior physician (attending)' },
  { code: 'leitender_oberarzt', de: 'Leitende Oberärztin/Leitender Oberarzt', en: 'Lead senior physician' },
  { code: 'chefarzt', de: 'Chefärztin/Chefarzt', en: 'Head of department' },
] as const satisfies readonly TaxonomyEntry[];

export type StateCode = (typeof STATES)[number]['code'];
export type SpecialtyCode = (typeof SPECIALTIES)[number]['code'];
export type RoleLevelCode = (typeof ROLE_LEVELS)[number]['code'];

export const STATE_CODES = STATES.map((s) => s.code) as StateCode[];
export const SPECIALTY_CODES = SPECIALTIES.map((s) => s.code) as SpecialtyCode[];
export const ROLE_LEVEL_CODES = ROLE_LEVELS.map((r) => r.code) as RoleLevelCode[];

const byCode = <T extends TaxonomyEntry>(entries: readonly T[]) => new Map<string, T>(entries.map((e) => [e.code, e]));
const STATE_BY_CODE = byCode<TaxonomyEntry>(STATES);
const SPECIALTY_BY_CODE = byCode<TaxonomyEntry>(SPECIALTIES);
const ROLE_LEVEL_BY_CODE = byCode<TaxonomyEntry>(ROLE_LEVELS);

export const isStateCode = (code: string): code is StateCode => STATE_BY_CODE.has(code);
export const isSpecialtyCode = (code: string): code is SpecialtyCode => SPECIALTY_BY_CODE.has(code);
export const isRoleLevelCode = (code: string): code is RoleLevelCode => ROLE_LEVEL_BY_CODE.has(code);

/** The entry for a code (labels for display), or undefined for an unknown code. */
export const stateByCode = (code: string) => STATE_BY_CODE.get(code);
export const specialtyByCode = (code: string) => SPECIALTY_BY_CODE.get(code);
export const roleLevelByCode = (code: string) => ROLE_LEVEL_BY_CODE.get(code);

/** What `GET /taxonomy` serves. */
export const TAXONOMY = { states: STATES, specialties: SPECIALTIES, role_levels: ROLE_LEVELS } as const;
