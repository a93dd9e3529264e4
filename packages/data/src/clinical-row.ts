/**
 * One clinical row → consent decision, label, encoded clinical features and
 * subgroup values, applying the site mapping's recoding and the task's
 * missing-value policies. Throws DATA_INVALID naming file, line, column, fix.
 */
import { dataError } from './data-error.js';
import type { ColumnPlan, ColumnSource } from './column-plan.js';
import type { MissingPolicy } from './schema.js';
import { encodeValue, isConsentGiven, parseBinary, BINARY_EXPECTATION, type TaskValue } from './values.js';

export type RowOutcome = 'used' | 'unconsented' | 'dropped';

export interface RowResult {
  outcome: RowOutcome;
  label: 0 | 1;
  imputed: number;
  groups: string[];
}

/** Subgroup value recorded when the column is blank, so fairness reports still count the record. */
export const UNKNOWN_GROUP = 'unknown';

export class RowEncoder {
  constructor(
    private readonly plan: ColumnPlan,
    private readonly file: string,
  ) {}

  /** The row's value in task codes, or undefined when it is a missing token. */
  private value(record: Record<string, string>, col: ColumnSource): { raw: string; value: TaskValue | undefined } {
    const raw = (record[col.local] ?? '').trim();
    if (this.plan.missingTokens.has(raw)) return { raw, value: undefined };
    const recoded = col.recode?.get(raw);
    return { raw, value: recoded ?? raw };
  }

  private fail(line: number, col: ColumnSource, message: string): never {
    throw dataError({ file: this.file, line, column: col.local }, `column ${col.display} ${message}`);
  }

  private missingFails(line: number, col: ColumnSource, raw: string): never {
    const what = raw === '' ? 'is empty' : `is '${raw}' (missing)`;
    this.fail(line, col, `${what} and the task does not allow missing values there; fill it in or remove the row`);
  }

  /** Why a value was rejected, naming the site's own codes when a recoding applies. */
  private rejectValue(line: number, col: ColumnSource, raw: string, expectation: string): never {
    const codes = col.recode ? ` (or one of the site mapping's codes ${[...col.recode.keys()].join(', ')})` : '';
    this.fail(line, col, `is '${raw}', ${expectation}${codes}`);
  }

  /** Applies a missing policy; returns whether the row must be dropped. */
  private onMissing(policy: MissingPolicy, line: number, col: ColumnSource, raw: string): boolean {
    if (policy.strategy === 'error') this.missingFails(line, col, raw);
    return policy.strategy === 'drop';
  }

  encode(record: Record<string, string>, line: number, out: Float32Array, offset: number): RowResult {
    const plan = this.plan;
    const result: RowResult = { outcome: 'used', label: 0, imputed: 0, groups: [] };
    if (plan.consent) {
      const { value } = this.value(record, plan.consent);
      if (value === undefined || !isConsentGiven(value)) return { ...result, outcome: 'unconsented' };
    }
    let drop = false;
    const label = this.value(record, plan.label);
    if (label.value === undefined) {
      drop = this.onMissing(plan.labelMissing, line, plan.label, label.raw) || drop;
      if (plan.labelMissing.strategy === 'impute') {
        result.label = parseBinary(plan.labelMissing.value) ?? 0;
        result.imputed++;
      }
    } else {
      const y = parseBinary(label.value);
      if (y === undefined) this.rejectValue(line, plan.label, label.raw, BINARY_EXPECTATION);
      result.label = y;
    }
    for (const f of plan.features) {
      const { raw, value } = this.value(record, f.source);
      if (value === undefined) {
        drop = this.onMissing(f.missing, line, f.source, raw) || drop;
        if (f.missing.strategy === 'impute') {
          encodeValue(f.feature, f.missing.value, out, offset + f.offset); // checked by validateSchema
          result.imputed++;
        }
        continue;
      }
      const problem = encodeValue(f.feature, value, out, offset + f.offset);
      if (problem !== null) this.rejectValue(line, f.source, raw, problem);
    }
    for (const g of plan.subgroups) {
      const { value } = this.value(record, g);
      result.groups.push(value === undefined ? UNKNOWN_GROUP : String(value));
    }
    if (drop) {
      result.outcome = 'dropped';
      result.imputed = 0; // only values of records actually used count as imputed
    }
    return result;
  }
}
