/**
 * The site's privacy budget while it runs: the one ledger every SiteRunner of
 * every task is charged to, stored after each charge, and what the site tells
 * the coordinator about it (`status {ready, epsilonSpent, epsilonBudget}`). Once a round is
 * refused for lack of budget the site reports itself not ready, so the
 * coordinator stops selecting it; a restart (e.g. with a new budget) clears that.
 */
import type { Logger } from 'pino';
import type { Ledger } from '@cohortfl/privacy';
import type { SitePrivacy } from '@cohortfl/protocol';
import type { SiteMessage } from '@cohortfl/wire';
import type { StatusBody } from './session.js';
import type { PrivacyBudget } from './config-schema.js';
import type { SiteMetrics } from './metrics.js';
import { ledgerPath, loadLedger, saveLedger } from './privacy-ledger.js';

export interface SiteBudgetOptions {
  stateDir: string;
  budget: PrivacyBudget;
  logger: Logger;
  metrics: SiteMetrics;
  /** The status changed (a charge, or the budget ran out): tell the coordinator. */
  onStatus(status: StatusBody): void;
}

export class SiteBudget {
  readonly ledger: Ledger;
  private exhausted = false;

  constructor(private readonly options: SiteBudgetOptions) {
    this.ledger = loadLedger(options.stateDir, options.budget);
    const { rounds } = this.ledger.state();
    options.metrics.privacy?.epsilonBudget.set(options.budget.epsilonMax);
    options.metrics.privacy?.epsilonSpent.set(this.epsilonSpent());
    options.logger.info(
      { epsilonSpent: this.epsilonSpent(), epsilonMax: options.budget.epsilonMax, delta: options.budget.delta, noiseFloor: options.budget.noiseFloor, rounds, ledger: ledgerPath(options.stateDir) },
      'privacy ledger loaded',
    );
  }

  /** What every SiteRunner gets: the shared ledger, and the hook that stores it after a charge. */
  get privacy(): SitePrivacy {
    return { ledger: this.ledger, onSpent: () => this.spent() };
  }

  epsilonSpent(): number {
    const e = this.ledger.epsilonSpent();
    return Number.isFinite(e) && e > 0 ? e : 0;
  }

  /** Readiness and ε: spent so far, and the policy's `epsilonMax` it is spent against. */
  status(): StatusBody {
    return { ready: !this.exhausted, epsilonSpent: this.epsilonSpent(), epsilonBudget: this.options.budget.epsilonMax };
  }

  /** Watches the site's answers for refusals the budget caused. */
  onReply(reply: SiteMessage): void {
    if (reply.type !== 'round/refuse') return;
    const { code, message } = reply.error;
    if (code !== 'BUDGET_EXHAUSTED') return;
    const first = !this.exhausted;
    this.exhausted = true;
    this.options.logger.warn(
      { reason: 'budget_exhausted', task: reply.taskHash, round: reply.round, attempt: reply.attempt, epsilonSpent: this.epsilonSpent(), epsilonMax: this.options.budget.epsilonMax, message },
      first ? 'privacy budget exhausted: reporting this site not ready' : 'round refused: privacy budget exhausted',
    );
    if (first) this.options.onStatus(this.status());
  }

  /**
   * After a charge, before the update leaves: store the ledger durably (a failure
   * throws, so the round is refused instead of sending an unrecorded release).
   */
  private spent(): void {
    const entry = this.ledger.state().history.at(-1);
    saveLedger(this.options.stateDir, this.ledger);
    const epsilonSpent = this.epsilonSpent();
    this.options.metrics.privacy?.epsilonSpent.set(epsilonSpent);
    this.options.logger.info(
      { epsilonSpent, order: entry?.order, release: entry?.round, label: entry?.label, epsilonMax: this.options.budget.epsilonMax },
      'privacy budget charged',
    );
    this.options.onStatus(this.status());
  }
}
