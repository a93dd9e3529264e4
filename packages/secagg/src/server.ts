import { isCohortError, type CohortError } from '@cohortfl/wire';
import { checkContext, type RoundContext } from './context.js';
import { encodeSite } from './bytes.js';
import { aborted, badConfig, invalid } from './fail.js';
import { createGraph, isConnected, type NeighbourGraph } from './graph.js';
import { checkRoster, consistencyHolds, fitsNeighbourhood, maxHolders, minimumThreshold, parseColluders, parseThreshold, type Roster } from './roster.js';
import { checkReveals, checkShareList, checkAdvertisedKeys } from './server-checks.js';
import { unmaskSum } from './server-unmask.js';
import type { ShamirShare } from './shamir.js';
import type { EncryptedShare, KeyAdvertisement, ReceivedShare, Reveal, RosterEntry, SecAggConfig, UnmaskRequest } from './types.js';
import { MAX_ROSTER, SERVER_PHASES, type ServerPhase, type ServerStage } from './vocabulary.js';

export interface SecAggServerOptions {
  context: RoundContext;
  /** The sites invited to this round. */
  cohort: readonly string[];
  config: SecAggConfig;
  /** Length of every masked vector (the quantizer's P + 1). */
  vectorLength: number;
  /** The consortium's members, the neighbour graph's nodes (default: the cohort). */
  members?: readonly string[];
}

/**
 * The coordinator's side, sans IO. It relays shares it cannot read, adds up masked
 * vectors as they arrive (it never holds an unmasked individual vector), and at the
 * end removes exactly the masks that cancel to the survivors' sum. The driver calls
 * receive* for every message it accepted, then closeAdvertisements / closeShares /
 * closeMasked / finalize when a phase ends; the sites received so far are the ones
 * that answered, everyone else dropped. Below the threshold the round aborts.
 */
export class SecAggServer {
  readonly context: RoundContext;
  readonly threshold: number;
  readonly vectorLength: number;
  readonly #cohort: ReadonlySet<string>;
  readonly #spec: SecAggConfig['graph'];
  readonly #members: readonly string[];
  #stage: ServerStage = 'collect-keys';
  #abortError: CohortError | undefined;
  readonly #advertised = new Map<string, KeyAdvertisement>();
  #roster: Roster | undefined;
  #graph: NeighbourGraph | undefined;
  /** Ciphertexts by recipient, then sender. */
  readonly #mailbox = new Map<string, Map<string, Uint8Array>>();
  readonly #sharers = new Set<string>();
  readonly #masked = new Set<string>();
  #sum: Uint32Array;
  readonly #attested = new Set<string>();
  readonly #unmasked = new Set<string>();
  readonly #bShares = new Map<string, ShamirShare[]>();
  readonly #sShares = new Map<string, ShamirShare[]>();

  constructor(options: SecAggServerOptions) {
    try {
      this.context = checkContext(options.context);
      const cohort = [...options.cohort];
      for (const site of cohort) encodeSite(site);
      this.#cohort = new Set(cohort);
      if (this.#cohort.size !== cohort.length) throw invalid('cohort lists a site twice');
      if (cohort.length > MAX_ROSTER) throw invalid(`cohort has ${cohort.length} sites, at most ${MAX_ROSTER} allowed`);
      this.threshold = parseThreshold(options.config);
      if (this.threshold > cohort.length) throw invalid(`threshold ${this.threshold} exceeds the cohort of ${cohort.length}`);
      this.#members = [...(options.members ?? cohort)];
      const graph = createGraph(cohort, this.context, options.config.graph, this.#members);
      if (!fitsNeighbourhood(this.threshold, graph)) {
        throw invalid(`threshold ${this.threshold} exceeds the holders of some site's shares`);
      }
      const colluders = parseColluders(options.config);
      if (!consistencyHolds(this.threshold, graph, colluders)) {
        throw invalid(`threshold ${this.threshold} is below ${minimumThreshold(maxHolders(graph), colluders)}, the least that tolerates ${colluders} colluding site(s)`);
      }
      this.#spec = options.config.graph;
    } catch (error) {
      throw badConfig(`secure aggregation server: ${(error as Error).message}`);
    }
    if (!Number.isInteger(options.vectorLength) || options.vectorLength < 1) throw badConfig('vectorLength must be a positive integer');
    this.vectorLength = options.vectorLength;
    this.#sum = new Uint32Array(options.vectorLength);
  }

  get stage(): ServerStage {
    return this.#stage;
  }

  /** Throws what receiveAdvertisement would, recording nothing. */
  checkAdvertisement(site: string, keys: KeyAdvertisement): void {
    this.#accepting('advertise', site, this.#cohort.has(site), this.#advertised.has(site));
    checkAdvertisedKeys(site, keys, this.#advertised);
  }

  receiveAdvertisement(site: string, keys: KeyAdvertisement): void {
    this.checkAdvertisement(site, keys);
    this.#advertised.set(site, { cPk: Uint8Array.from(keys.cPk), sPk: Uint8Array.from(keys.sPk) });
  }

  /** Ends the advertise phase: the roster (U1) is every site whose keys arrived. */
  closeAdvertisements(): RosterEntry[] {
    this.#closing('advertise', this.#advertised.size);
    const roster = checkRoster([...this.#advertised].map(([site, keys]) => ({ site, ...keys })));
    const graph = createGraph(roster.sites, this.context, this.#spec, this.#members);
    if (!fitsNeighbourhood(this.threshold, graph)) {
      throw this.#abort(`phase 'advertise': threshold ${this.threshold} exceeds the holders of some site's shares`);
    }
    this.#roster = roster;
    this.#graph = graph;
    this.#stage = SERVER_PHASES.advertise.next;
    return this.roster();
  }

  /** U1 with its keys, sorted by site: what every site needs for shareKeys. */
  roster(): RosterEntry[] {
    if (this.#roster === undefined) throw this.#illegal('roster', 'collect-shares');
    const roster = this.#roster;
    return roster.sites.map((site) => {
      const entry = roster.entry(site);
      return { site, cPk: Uint8Array.from(entry.cPk), sPk: Uint8Array.from(entry.sPk) };
    });
  }

  /** Throws what receiveShares would, recording nothing; the checked list otherwise. */
  checkShares(site: string, list: readonly EncryptedShare[]): EncryptedShare[] {
    this.#accepting('share', site, this.#roster?.has(site) ?? false, this.#sharers.has(site));
    return checkShareList(site, list, this.#graph!.neighbours(site));
  }

  receiveShares(site: string, list: readonly EncryptedShare[]): void {
    const checked = this.checkShares(site, list);
    for (const { to, ciphertext } of checked) {
      let inbox = this.#mailbox.get(to);
      if (inbox === undefined) this.#mailbox.set(to, (inbox = new Map()));
      inbox.set(site, ciphertext);
    }
    this.#sharers.add(site);
  }

  /** Ends the share phase: U2 is every site whose shares arrived. */
  closeShares(): void {
    this.#closing('share', this.#sharers.size);
    for (const site of this.#sharers) {
      const holders = 1 + this.#graph!.neighbours(site).filter((peer) => this.#sharers.has(peer)).length;
      if (holders < this.threshold) {
        throw this.#abort(`phase 'share': only ${holders} holders of the shares of '${site}' remain, threshold is ${this.threshold}`);
      }
    }
    this.#stage = SERVER_PHASES.share.next;
  }

  /** The ciphertexts addressed to a site in U2, from its neighbours in U2. */
  sharesFor(site: string): ReceivedShare[] {
    if (this.#stage !== 'collect-masked') throw this.#illegal('sharesFor', 'collect-masked');
    if (!this.#sharers.has(site)) throw invalid(`'${String(site).slice(0, 80)}' sent no shares, so it gets none`);
    const inbox = this.#mailbox.get(site) ?? new Map<string, Uint8Array>();
    return [...inbox]
      .filter(([from]) => this.#sharers.has(from))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([from, ciphertext]) => ({ from, ciphertext: Uint8Array.from(ciphertext) }));
  }

  /** Adds a masked vector to the running sum; the vector itself is not kept. */
  /** Throws what receiveMasked would, adding nothing. */
  checkMasked(site: string, masked: Uint32Array): void {
    this.#accepting('masked', site, this.#sharers.has(site), this.#masked.has(site));
    if (!(masked instanceof Uint32Array) || masked.length !== this.vectorLength) {
      throw invalid(`masked input from '${String(site).slice(0, 80)}' must be a Uint32Array of length ${this.vectorLength}`);
    }
  }

  receiveMasked(site: string, masked: Uint32Array): void {
    this.checkMasked(site, masked);
    // int32 views: the same bits as uint32 addition mod 2^32, on V8's fast integer path.
    const sum = new Int32Array(this.#sum.buffer, this.#sum.byteOffset, this.#sum.length);
    const add = new Int32Array(masked.buffer, masked.byteOffset, masked.length);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i]! + add[i]!) | 0;
    this.#masked.add(site);
  }

  /** Ends the masked-input phase: U3 are the survivors. */
  closeMasked(): UnmaskRequest {
    this.#closing('masked', this.#masked.size);
    const graph = this.#graph!;
    const survivors = [...this.#masked];
    if (!isConnected(graph, survivors)) {
      throw this.#abort(`phase 'masked': the ${survivors.length} survivors are not connected in the neighbour graph`);
    }
    // Each secret must still be reconstructible from survivors alone (U4 ⊆ U3).
    for (const site of this.#sharers) {
      const survived = this.#masked.has(site);
      const alive = graph.neighbours(site).filter((peer) => this.#masked.has(peer));
      const holders = alive.length + (survived ? 1 : 0);
      // A dropped site with no surviving neighbour left no mask to remove.
      if ((survived || alive.length > 0) && holders < this.threshold) {
        throw this.#abort(`phase 'masked': only ${holders} surviving holders of the shares of '${site}', threshold is ${this.threshold}`);
      }
    }
    this.#stage = SERVER_PHASES.masked.next;
    return this.unmaskRequest();
  }

  /**
   * A survivor signed the survivor set (the caller verified its signature over
   * survivorSetBytes with the site's identity key).
   */
  /** Throws what receiveAttestation would, recording nothing (the caller checks the signature). */
  checkAttestation(site: string): void {
    this.#accepting('attest', site, this.#masked.has(site), this.#attested.has(site));
  }

  receiveAttestation(site: string): void {
    this.checkAttestation(site);
    this.#attested.add(site);
  }

  /**
   * Ends the consistency step: every secret to be reconstructed needs `threshold`
   * signers among its holders, or no honest site would reveal for it; abort now rather
   * than ask. Returns the sites (U4) to send the unmask request and signatures to.
   */
  closeAttestations(): string[] {
    this.#closing('attest', this.#attested.size);
    const graph = this.#graph!;
    for (const owner of this.#sharers) {
      const holders = [owner, ...graph.neighbours(owner)];
      const survived = this.#masked.has(owner);
      // Owners nobody reveals for (a dropped site without surviving neighbours) need no signatures.
      if (!survived && !graph.neighbours(owner).some((peer) => this.#masked.has(peer))) continue;
      const signed = holders.filter((h) => this.#attested.has(h)).length;
      if (signed < this.threshold) {
        throw this.#abort(`phase 'attest': only ${signed} holders of the shares of '${owner}' signed the survivor set, threshold is ${this.threshold}`);
      }
    }
    this.#stage = SERVER_PHASES.attest.next;
    return [...this.#attested].sort();
  }

  /** Survivors (U3) and dropped sites (U2 \ U3), sorted: the same request for every survivor. */
  unmaskRequest(): UnmaskRequest {
    if (this.#stage !== 'collect-attest' && this.#stage !== 'collect-unmask') throw this.#illegal('unmaskRequest', 'collect-attest');
    return {
      survivors: [...this.#masked].sort(),
      dropped: [...this.#sharers].filter((site) => !this.#masked.has(site)).sort(),
    };
  }

  /** Throws what receiveUnmask would, recording nothing; the checked shares otherwise. */
  checkUnmask(site: string, reveals: readonly Reveal[]): ReturnType<typeof checkReveals> {
    this.#accepting('unmask', site, this.#attested.has(site), this.#unmasked.has(site));
    const graph = this.#graph!;
    const expected = new Map<string, 'b' | 's'>();
    for (const owner of [site, ...graph.neighbours(site)]) {
      if (this.#sharers.has(owner)) expected.set(owner, this.#masked.has(owner) ? 'b' : 's');
    }
    return checkReveals(site, reveals, expected, this.#roster!.xOf(site));
  }

  receiveUnmask(site: string, reveals: readonly Reveal[]): void {
    const shares = this.checkUnmask(site, reveals);
    for (const { owner, kind, share } of shares) {
      const store = kind === 'b' ? this.#bShares : this.#sShares;
      let list = store.get(owner);
      if (list === undefined) store.set(owner, (list = []));
      list.push(share);
    }
    this.#unmasked.add(site);
  }

  /** Ends the unmask phase and returns Σ_{u ∈ U3} x_u mod 2^32 (length vectorLength). */
  finalize(): Uint32Array {
    this.#closing('unmask', this.#unmasked.size);
    const { survivors, dropped } = this.unmaskRequest();
    try {
      unmaskSum(this.#sum, {
        context: this.context,
        roster: this.#roster!,
        graph: this.#graph!,
        threshold: this.threshold,
        survivors,
        dropped,
        bShares: this.#bShares,
        sShares: this.#sShares,
      });
    } catch (error) {
      throw this.#abort(`phase 'unmask': ${(error as Error).message}`, isCohortError(error) ? undefined : error);
    }
    const sum = this.#sum;
    this.#sum = new Uint32Array(0);
    this.#bShares.clear();
    this.#sShares.clear();
    this.#stage = SERVER_PHASES.unmask.next;
    return sum;
  }

  /** Refuses a message that is early, late, from an unexpected site or repeated (MESSAGE_INVALID). */
  #accepting(phase: ServerPhase, site: string, expectedSite: boolean, duplicate: boolean): void {
    if (this.#stage === 'aborted') throw this.#abortError!;
    const stage = SERVER_PHASES[phase].stage;
    const name = String(site).slice(0, 80);
    if (this.#stage !== stage) throw invalid(`'${phase}' message from '${name}' refused in stage '${this.#stage}'`);
    if (!expectedSite) throw invalid(`'${phase}' message from '${name}', which is not expected in this phase`);
    if (duplicate) throw invalid(`duplicate '${phase}' message from '${name}'`);
  }

  /** Checks a phase may end now and that enough sites answered, else aborts. */
  #closing(phase: ServerPhase, answered: number): void {
    const stage = SERVER_PHASES[phase].stage;
    if (this.#stage !== stage) throw this.#illegal(`closing phase '${phase}'`, stage);
    if (answered < this.threshold) {
      throw this.#abort(`phase '${phase}': ${answered} sites answered, threshold is ${this.threshold}`);
    }
  }

  #illegal(step: string, expected: ServerStage): CohortError {
    if (this.#stage === 'aborted') return this.#abortError!;
    return aborted(`${step} is not allowed in stage '${this.#stage}' (expected '${expected}')`);
  }

  #abort(message: string, cause?: unknown): CohortError {
    this.#stage = 'aborted';
    this.#sum = new Uint32Array(0);
    this.#bShares.clear();
    this.#sShares.clear();
    this.#abortError = aborted(`secure aggregation aborted in ${message}`, cause === undefined ? undefined : { cause: String(cause) });
    return this.#abortError;
  }
}
