/**
 * Which models this site has evaluated, sans-IO: evaluation is a query of the site's
 * validation data under weights the coordinator picks, so a site answers it only for
 * the model the run committed, once. The evaluate `round/start` states the SHA-256 of
 * its weights in `config.modelHash` (the hash of the round's committed global model,
 * the value the coordinator stores as the round's checkpoint); the guard refuses
 *   - a start whose weights do not hash to the stated value, or that states none;
 *   - a model this site already evaluated for the task (in any run);
 *   - a second evaluation of a round of a run (one committed model per round);
 * Once the site has evaluated round r, a train start of round r + 1 whose weights are
 * not that model is counted and reported (`train_model_unbound`), not refused: a
 * restarted coordinator legitimately retries a round after its evaluate phase, and
 * training from the retry's model must go on. A coordinator that evaluates one model and
 * carries on with another therefore leaves a count and a log line at every site that
 * evaluated. The shell persists the record (toJSON / onChange) so a restart does not
 * forget it.
 */
import { CohortError, hashWeights, SHA256_HEX_PATTERN, type RoundStart } from '@cohortfl/wire';

export const EVALUATION_RECORD_FORMAT = 'cohortfl-evaluations/1' as const;

/** Config key of the evaluate start that names the committed model's SHA-256 (hex). */
export const MODEL_HASH_KEY = 'modelHash';

/** Counted reasons (labels of the site's `cohort_messages_rejected_total`); all but `train_model_unbound` are refusals. */
export const EVALUATION_REFUSALS = ['eval_model_unbound', 'eval_model_repeated', 'eval_round_repeated', 'train_model_unbound'] as const;
export type EvaluationRefusal = (typeof EVALUATION_REFUSALS)[number];

export interface EvaluatedModel {
  taskHash: string;
  /** The run's replay scope: the task hash, plus the run id when the coordinator names one. */
  scope: string;
  round: number;
  attempt: number;
  modelHash: string;
}

export interface EvaluationRecordJSON {
  format: typeof EVALUATION_RECORD_FORMAT;
  evaluated: EvaluatedModel[];
}

export interface EvaluationGuardOptions {
  /** A stored record (toJSON) to continue from. */
  record?: unknown;
  /** Called with the new record after each evaluation is admitted; a throw undoes the admission. */
  onChange?: (record: EvaluationRecordJSON) => void;
  /** Called for every refusal and every train start that does not continue from the evaluated model, so the shell can count and log it. */
  onCounted?: (reason: EvaluationRefusal, error: CohortError) => void;
}

/** The run a round belongs to, as the site's replay guard scopes it. */
export function evaluationScope(start: RoundStart): string {
  const run = start.config['runId'];
  return typeof run === 'string' || typeof run === 'number' ? `${start.taskHash}/${String(run)}` : start.taskHash;
}

export class EvaluationGuard {
  private evaluated: EvaluatedModel[];
  private readonly counts = new Map<EvaluationRefusal, number>();

  constructor(private readonly options: EvaluationGuardOptions = {}) {
    this.evaluated = options.record === undefined ? [] : parseRecord(options.record);
  }

  /** Refusals so far by reason (this process). */
  get refusals(): Readonly<Record<EvaluationRefusal, number>> {
    return Object.fromEntries(EVALUATION_REFUSALS.map((r) => [r, this.counts.get(r) ?? 0])) as Record<EvaluationRefusal, number>;
  }

  /** Models evaluated, oldest first. */
  get models(): readonly EvaluatedModel[] {
    return this.evaluated;
  }

  /**
   * Admits an evaluate start and records it (before any work on patient data), or
   * throws the refusal. Returns the model's hash.
   */
  admitEvaluation(start: RoundStart): string {
    const stated = start.config[MODEL_HASH_KEY];
    if (typeof stated !== 'string' || !SHA256_HEX_PATTERN.test(stated)) {
      throw this.refuse('eval_model_unbound', 'MESSAGE_INVALID', `the evaluate start names no committed model (config.${MODEL_HASH_KEY} must be the weights' SHA-256); this site evaluates only committed models`);
    }
    const actual = hashWeights(start.weights);
    if (actual !== stated) {
      throw this.refuse('eval_model_unbound', 'MESSAGE_INVALID', `the evaluate start's weights hash to ${actual.slice(0, 16)}…, not to the committed model ${stated.slice(0, 16)}… it names`);
    }
    const scope = evaluationScope(start);
    const sameModel = this.evaluated.find((e) => e.taskHash === start.taskHash && e.modelHash === stated);
    if (sameModel) {
      throw this.refuse('eval_model_repeated', 'REPLAYED', `this site already evaluated model ${stated.slice(0, 16)}… (round ${sameModel.round}); each model is evaluated once`);
    }
    const sameRound = this.evaluated.find((e) => e.scope === scope && e.round === start.round);
    if (sameRound) {
      throw this.refuse('eval_round_repeated', 'REPLAYED', `this site already evaluated round ${start.round}'s model (attempt ${sameRound.attempt}); a round commits one model`);
    }
    const entry: EvaluatedModel = { taskHash: start.taskHash, scope, round: start.round, attempt: start.attempt, modelHash: stated };
    const before = this.evaluated;
    this.evaluated = [...before, entry];
    try {
      this.options.onChange?.(this.toJSON());
    } catch (error) {
      this.evaluated = before;
      throw new CohortError('INTERNAL', 'the site could not record the evaluated model, so it does not evaluate it', { cause: error });
    }
    return stated;
  }

  /**
   * Whether a train start right after a round this site evaluated starts from that round's
   * model; false (counted and reported, not refused) when it does not.
   */
  checkTrainStart(start: RoundStart): boolean {
    const scope = evaluationScope(start);
    const previous = this.evaluated.find((e) => e.scope === scope && e.round === start.round - 1);
    if (!previous) return true;
    const actual = hashWeights(start.weights);
    if (actual === previous.modelHash) return true;
    this.refuse(
      'train_model_unbound',
      'POLICY_REFUSED',
      `round ${start.round} trains from weights ${actual.slice(0, 16)}…, not from model ${previous.modelHash.slice(0, 16)}… this site evaluated as round ${previous.round}'s committed model (a retried round, or a coordinator evaluating one model and training another)`,
    );
    return false;
  }

  toJSON(): EvaluationRecordJSON {
    return { format: EVALUATION_RECORD_FORMAT, evaluated: this.evaluated.map((e) => ({ ...e })) };
  }

  private refuse(reason: EvaluationRefusal, code: 'MESSAGE_INVALID' | 'REPLAYED' | 'POLICY_REFUSED', message: string): CohortError {
    const error = new CohortError(code, message, { details: { reason } });
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.options.onCounted?.(reason, error);
    return error;
  }
}

function parseRecord(value: unknown): EvaluatedModel[] {
  const bad = (why: string) => new CohortError('CONFIG_INVALID', `the site's record of evaluated models is damaged: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const obj = value as Partial<EvaluationRecordJSON>;
  if (obj.format !== EVALUATION_RECORD_FORMAT) throw bad(`format is not ${EVALUATION_RECORD_FORMAT}`);
  if (!Array.isArray(obj.evaluated)) throw bad('evaluated is not a list');
  return obj.evaluated.map((e: unknown, i) => {
    const x = e as Partial<EvaluatedModel> | null;
    const ok =
      typeof x === 'object' &&
      x !== null &&
      typeof x.taskHash === 'string' &&
      SHA256_HEX_PATTERN.test(x.taskHash) &&
      typeof x.scope === 'string' &&
      x.scope.startsWith(x.taskHash) &&
      Number.isInteger(x.round) &&
      x.round! >= 1 &&
      Number.isInteger(x.attempt) &&
      x.attempt! >= 1 &&
      typeof x.modelHash === 'string' &&
      SHA256_HEX_PATTERN.test(x.modelHash);
    if (!ok) throw bad(`entry ${i} is not a task hash, scope, round, attempt and model hash`);
    return { taskHash: x.taskHash!, scope: x.scope!, round: x.round!, attempt: x.attempt!, modelHash: x.modelHash! };
  });
}
