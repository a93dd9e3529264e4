import { CohortError } from '@cohortfl/wire';
import type { Rng } from './prng.js';

/** The synthetic hospitals: who they treat, and how each one writes its clinical file. */

export const ANCESTRIES = ['EUR', 'AFR', 'EAS', 'SAS', 'AMR'] as const;
export type Ancestry = (typeof ANCESTRIES)[number];

/** The task's clinical columns, in the order standard sites write them. */
export const CLINICAL_COLUMNS = [
  'sample_id', 'age', 'sex', 'bmi', 'ldl', 'sbp', 'smoker', 'diabetes', 'ancestry', 'consent', 'cad',
] as const;
export type ClinicalColumn = (typeof CLINICAL_COLUMNS)[number];

/** Plausible clinical ranges; generated values are clamped into them. */
export const CLINICAL_RANGES = {
  age: [30, 85],
  bmi: [18, 50],
  ldl: [50, 250],
  sbp: [90, 200],
} as const satisfies Record<string, readonly [number, number]>;

/** `standard`: task column names and codes. `local`: the hospital's own names and codes, plus mapping.json. */
export type ClinicalLayout = 'standard' | 'local';

export interface SiteSpec {
  /** Folder name (kebab-case). */
  name: string;
  /** Sample ID prefix (2–6 capital letters), e.g. `NGT` gives `NGT-000123`. */
  code: string;
  /** Patients. */
  n: number;
  /** Relative weights of each ancestry group among the site's patients. */
  ancestry: Partial<Record<Ancestry, number>>;
  /** Target CAD prevalence; the site's intercept is calibrated so the expected prevalence equals it. */
  prevalence: number;
  /** Mean age in years (SD 10 before clamping). */
  ageMean: number;
  maleFraction: number;
  smokingRate: number;
  /** Site-level shifts of mean BMI (kg/m²), LDL (mg/dL) and SBP (mmHg): case mix and local habits. */
  bmiShift?: number;
  ldlShift?: number;
  sbpShift?: number;
  layout?: ClinicalLayout;
}

/** Five hospitals of very different size, ancestry mix, age and prevalence (non-IID on purpose). */
export const DEFAULT_SITES: readonly SiteSpec[] = [
  // A small cardiology referral centre: older, mostly European, high prevalence.
  {
    name: 'st-marys', code: 'STM', n: 300, ancestry: { EUR: 0.85, AFR: 0.05, SAS: 0.05, AMR: 0.05 },
    prevalence: 0.24, ageMean: 63, maleFraction: 0.6, smokingRate: 0.22, ldlShift: 5,
  },
  // An urban hospital, mostly African ancestry; keeps its own column names and codes.
  {
    name: 'northgate', code: 'NGT', n: 800, ancestry: { AFR: 0.75, EUR: 0.15, AMR: 0.1 },
    prevalence: 0.18, ageMean: 56, maleFraction: 0.45, smokingRate: 0.25, bmiShift: 1.5, sbpShift: 6, layout: 'local',
  },
  // Mostly East Asian patients, younger and leaner, low prevalence.
  {
    name: 'riverside', code: 'RVS', n: 1500, ancestry: { EAS: 0.8, SAS: 0.1, EUR: 0.1 },
    prevalence: 0.11, ageMean: 52, maleFraction: 0.5, smokingRate: 0.2, bmiShift: -1,
  },
  // A mixed community hospital.
  {
    name: 'lakeshore', code: 'LKS', n: 2500, ancestry: { EUR: 0.35, AMR: 0.3, AFR: 0.2, SAS: 0.1, EAS: 0.05 },
    prevalence: 0.15, ageMean: 54, maleFraction: 0.48, smokingRate: 0.18,
  },
  // A large mixed tertiary centre with many cardiac admissions.
  {
    name: 'unity-general', code: 'UNG', n: 5000, ancestry: { EUR: 0.4, SAS: 0.25, AFR: 0.15, EAS: 0.1, AMR: 0.1 },
    prevalence: 0.28, ageMean: 60, maleFraction: 0.55, smokingRate: 0.2, ldlShift: -4, sbpShift: 3,
  },
];

/** One patient in task units and codes. */
export interface PatientRecord {
  sampleId: string;
  age: number;
  sex: 'M' | 'F';
  bmi: number;
  ldl: number;
  sbp: number;
  smoker: 0 | 1;
  diabetes: 0 | 1;
  ancestry: Ancestry;
  consent: 0 | 1;
  cad: 0 | 1;
}

const UNCONSENTED_FRACTION = 0.01;
const clamp = (x: number, [lo, hi]: readonly [number, number]): number => Math.min(hi, Math.max(lo, x));
const round1 = (x: number): number => Math.round(x * 10) / 10;
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

const ANCESTRY_SHIFTS: Record<Ancestry, { bmi: number; ldl: number; sbp: number; t2d: number }> = {
  EUR: { bmi: 0, ldl: 0, sbp: 0, t2d: 0 },
  AFR: { bmi: 1.5, ldl: -3, sbp: 5, t2d: 0.3 },
  EAS: { bmi: -3, ldl: -2, sbp: 1, t2d: 0.2 },
  SAS: { bmi: -1, ldl: 3, sbp: 0, t2d: 0.7 },
  AMR: { bmi: 1.5, ldl: 1, sbp: 0, t2d: 0.5 },
};

/** Covariates in task units, rounded to what the CSV holds, so truth.json reproduces from the files. */
export function drawPatients(site: SiteSpec, rng: Rng): PatientRecord[] {
  const weights = ANCESTRIES.map((a) => site.ancestry[a] ?? 0);
  const patients: PatientRecord[] = [];
  for (let i = 0; i < site.n; i++) {
    const ancestry = ANCESTRIES[rng.categorical(weights)]!;
    const shift = ANCESTRY_SHIFTS[ancestry];
    const male = rng.bernoulli(site.maleFraction);
    const age = round1(clamp(rng.gaussian(site.ageMean, 10), CLINICAL_RANGES.age));
    const bmi = round1(clamp(rng.gaussian(27 + shift.bmi + (site.bmiShift ?? 0) + (male ? 0.5 : 0), 4.5), CLINICAL_RANGES.bmi));
    const ldlMean = 128 + shift.ldl + (site.ldlShift ?? 0) + 0.4 * (age - 55) + (male ? 4 : -4);
    const ldl = round1(clamp(rng.gaussian(ldlMean, 33), CLINICAL_RANGES.ldl));
    const sbpMean = 124 + shift.sbp + (site.sbpShift ?? 0) + 0.5 * (age - 55) + 0.7 * (bmi - 27) + (male ? 3 : 0);
    const sbp = round1(clamp(rng.gaussian(sbpMean, 15), CLINICAL_RANGES.sbp));
    const smoker = rng.bernoulli(Math.min(1, site.smokingRate * (male ? 1.2 : 0.8))) ? 1 : 0;
    const diabetes = rng.bernoulli(sigmoid(-2.3 + shift.t2d + (0.45 * (age - 55)) / 10 + 0.12 * (bmi - 27))) ? 1 : 0;
    const sampleId = `${site.code}-${String(i + 1).padStart(6, '0')}`;
    patients.push({ sampleId, age, sex: male ? 'M' : 'F', bmi, ldl, sbp, smoker, diabetes, ancestry, consent: 1, cad: 0 });
  }
  // At least one withdrawn consent per site, so every site exercises the consent filter.
  for (const i of rng.sample(site.n, Math.max(1, Math.round(site.n * UNCONSENTED_FRACTION)))) patients[i]!.consent = 0;
  return patients;
}

/** Structurally a `SiteMapping` of @cohortfl/data. */
export interface GeneratedMapping {
  columns: Record<ClinicalColumn, string | { from: string; values: Record<string, string | number> }>;
}

const LOCAL_ANCESTRY: Record<Ancestry, string> = {
  EUR: 'European', AFR: 'African', EAS: 'East_Asian', SAS: 'South_Asian', AMR: 'Hispanic_Latino',
};

/** The local site's own header: other names, and another column order. */
const LOCAL_HEADER = [
  'patient_id', 'gender', 'age_years', 'ethnicity', 'bmi', 'systolic_bp', 'ldl_c', 't2d', 'smoking_status', 'research_consent', 'cad_dx',
] as const;

const fixed1 = (x: number): string => x.toFixed(1);

export function clinicalHeader(layout: ClinicalLayout): string {
  return (layout === 'local' ? LOCAL_HEADER : CLINICAL_COLUMNS).join(',');
}

export function clinicalRow(layout: ClinicalLayout, r: PatientRecord): string {
  if (layout === 'local') {
    return [
      r.sampleId, r.sex === 'M' ? '1' : '2', fixed1(r.age), LOCAL_ANCESTRY[r.ancestry], fixed1(r.bmi), fixed1(r.sbp), fixed1(r.ldl),
      r.diabetes === 1 ? 'yes' : 'no', r.smoker === 1 ? 'current' : 'never', r.consent === 1 ? 'Y' : 'N', String(r.cad),
    ].join(',');
  }
  return [
    r.sampleId, fixed1(r.age), r.sex, fixed1(r.bmi), fixed1(r.ldl), fixed1(r.sbp), String(r.smoker), String(r.diabetes),
    r.ancestry, String(r.consent), String(r.cad),
  ].join(',');
}

/** The mapping a `local` site ships next to its data; standard sites need none. */
export function localMapping(): GeneratedMapping {
  const ancestryValues: Record<string, string> = {};
  for (const a of ANCESTRIES) ancestryValues[LOCAL_ANCESTRY[a]] = a;
  return {
    columns: {
      sample_id: 'patient_id',
      age: 'age_years',
      sex: { from: 'gender', values: { '1': 'M', '2': 'F' } },
      bmi: 'bmi',
      ldl: 'ldl_c',
      sbp: 'systolic_bp',
      smoker: { from: 'smoking_status', values: { never: 0, current: 1 } },
      diabetes: { from: 't2d', values: { no: 0, yes: 1 } },
      ancestry: { from: 'ethnicity', values: ancestryValues },
      consent: { from: 'research_consent', values: { N: 0, Y: 1 } },
      cad: 'cad_dx',
    },
  };
}

const invalid = (message: string, details: Record<string, unknown>): CohortError =>
  new CohortError('CONFIG_INVALID', message, { details });

const inUnit = (x: number): boolean => Number.isFinite(x) && x >= 0 && x <= 1;

/** Checks site specs at the boundary so a typo fails before anything is written. */
export function validateSites(sites: readonly SiteSpec[]): void {
  if (sites.length === 0) throw invalid('at least one site is required', {});
  const names = new Set<string>();
  const codes = new Set<string>();
  for (const s of sites) {
    const fail = (what: string): CohortError => invalid(`site '${s.name}': ${what}`, { site: s.name });
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(s.name)) throw fail('name must be kebab-case (a-z, 0-9, -)');
    if (names.has(s.name)) throw fail('name is used twice');
    if (!/^[A-Z]{2,6}$/.test(s.code)) throw fail(`code '${s.code}' must be 2–6 capital letters`);
    if (codes.has(s.code)) throw fail(`code '${s.code}' is used twice`);
    names.add(s.name);
    codes.add(s.code);
    if (!Number.isInteger(s.n) || s.n < 2 || s.n > 999_999) throw fail(`n must be an integer in [2, 999999], got ${s.n}`);
    let total = 0;
    for (const [key, w] of Object.entries(s.ancestry)) {
      if (!(ANCESTRIES as readonly string[]).includes(key)) throw fail(`unknown ancestry '${key}', expected one of ${ANCESTRIES.join(', ')}`);
      if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) throw fail(`ancestry weight of ${key} must be a number >= 0`);
      total += w;
    }
    if (!(total > 0)) throw fail(`ancestry weights must have a positive sum`);
    if (!(s.prevalence >= 0.01 && s.prevalence <= 0.9)) throw fail(`prevalence must be in [0.01, 0.9], got ${s.prevalence}`);
    const [ageLo, ageHi] = CLINICAL_RANGES.age;
    if (!(s.ageMean >= ageLo && s.ageMean <= ageHi)) throw fail(`ageMean must be in [${ageLo}, ${ageHi}], got ${s.ageMean}`);
    if (!inUnit(s.maleFraction)) throw fail(`maleFraction must be in [0, 1], got ${s.maleFraction}`);
    if (!inUnit(s.smokingRate)) throw fail(`smokingRate must be in [0, 1], got ${s.smokingRate}`);
    for (const k of ['bmiShift', 'ldlShift', 'sbpShift'] as const) {
      const v = s[k];
      if (v !== undefined && !(Number.isFinite(v) && Math.abs(v) <= 50)) throw fail(`${k} must be a number in [-50, 50], got ${v}`);
    }
    if (s.layout !== undefined && s.layout !== 'standard' && s.layout !== 'local') throw fail(`layout must be 'standard' or 'local'`);
  }
}
