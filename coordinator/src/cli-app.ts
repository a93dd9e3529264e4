/**
 * The `cohort-coordinator` command line, as a function (the bin in cli.ts only wires
 * process argv, stdout and the exit code), so every command can also run in-process.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { decodePublicKey, fingerprint, readKeyFile, type Identity } from '@cohortfl/identity';
import { renderReportHtml } from '@cohortfl/dashboard';
import { CohortError, exitCodeFor, installProcessGuard } from '@cohortfl/wire';
import { adminRequest, resolveAdminTarget } from './admin-client.js';
import { AUDIT_KINDS, appendAudit, exportAudit } from './audit/audit-log.js';
import { LOG_LEVELS, type ConfigLayer } from './config.js';
import { startCoordinator } from './coordinator.js';
import { runReportInput } from './dashboard/run-report.js';
import { runProvenanceCommand, verifyProvenance } from './provenance/index.js';
import { dataPaths } from './data-dir.js';
import { evalReport, evalReportLines } from './eval-report.js';
import { initCoordinator } from './init.js';
import type { StatusReport } from './reports.js';
import { statusLines } from './status-text.js';
import { openStore, type Store } from './store/index.js';
import { publishManifest, readTaskFile } from './task-file.js';
import { consortiumOf } from './consortium.js';
import { membershipFile } from '@cohortfl/protocol';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  /** Resolves when serve should stop (default: SIGINT or SIGTERM). */
  stopSignal?: () => Promise<void>;
  /** serve installs the process guard (wire's process-guard.ts); the bin does, in-process tests do not. */
  processGuard?: boolean;
}

const defaultIo = (): CliIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  processGuard: true,
});

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function dataDirOf(argv: { dataDir?: string | undefined }, io: CliIo): string {
  const dir = argv.dataDir ?? io.env['COHORT_DATA_DIR'];
  if (!dir) throw new CohortError('CONFIG_INVALID', 'this command needs --data-dir <dir> (or COHORT_DATA_DIR)');
  return dir;
}

/** The store of an initialized data directory (never creates one: that is init's job). */
function withStore<T>(dataDir: string, work: (store: Store) => T): T {
  const { db } = dataPaths(dataDir);
  if (!existsSync(db)) {
    throw new CohortError('CONFIG_INVALID', `${dataDir} is not an initialized data directory; run: cohort-coordinator init --data-dir ${dataDir}`);
  }
  const store = openStore(db);
  try {
    return work(store);
  } finally {
    store.close();
  }
}

/** The store plus the coordinator key, for commands that append to the signed audit log. */
function withAudited<T>(dataDir: string, work: (store: Store, identity: Identity) => T): T {
  const identity = readKeyFile(dataPaths(dataDir).key);
  return withStore(dataDir, (store) => work(store, identity));
}

const iso = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());

/** Serve flags as a config layer: only the flags given, so lower layers show through. */
function serveOverrides(a: Record<string, unknown>): ConfigLayer {
  const layer: ConfigLayer = {};
  if (a['host'] !== undefined) layer.host = a['host'] as string;
  if (a['port'] !== undefined) layer.port = a['port'] as number;
  if (a['tlsCert'] !== undefined || a['tlsKey'] !== undefined) {
    layer.tls = {};
    if (a['tlsCert'] !== undefined) layer.tls.cert = a['tlsCert'] as string;
    if (a['tlsKey'] !== undefined) layer.tls.key = a['tlsKey'] as string;
  }
  const limitFlags = ['maxMessageBytes', 'chunkBytes', 'preAuthFrameBytes', 'maxUnauthenticated', 'maxUnauthenticatedPerAddress'] as const;
  for (const flag of limitFlags) {
    if (a[flag] !== undefined) (layer.limits ??= {})[flag] = a[flag] as number;
  }
  if (a['trainTimeout'] !== undefined || a['evaluateTimeout'] !== undefined || a['secaggTimeout'] !== undefined) {
    layer.timeouts = {};
    if (a['trainTimeout'] !== undefined) layer.timeouts.train = a['trainTimeout'] as number;
    if (a['evaluateTimeout'] !== undefined) layer.timeouts.evaluate = a['evaluateTimeout'] as number;
    if (a['secaggTimeout'] !== undefined) layer.timeouts.secagg = a['secaggTimeout'] as number;
  }
  if (a['retryDelayMs'] !== undefined) layer.retryDelayMs = a['retryDelayMs'] as number;
  if (a['logLevel'] !== undefined) layer.logLevel = a['logLevel'] as ConfigLayer['logLevel'];
  return layer;
}

const adminOptions = (y: Argv) =>
  y
    .option('url', { type: 'string', describe: 'coordinator URL (default: COHORT_COORDINATOR_URL, then <data-dir>/serve.json)' })
    .option('token', { type: 'string', describe: 'admin token (default: COHORT_ADMIN_TOKEN, then <data-dir>/admin-token)' })
    .option('ca', { type: 'string', describe: 'CA certificate (PEM) to trust for an https coordinator' });

function adminTarget(a: { dataDir?: string | undefined; url?: string | undefined; token?: string | undefined; ca?: string | undefined }, io: CliIo) {
  return resolveAdminTarget({
    ...(a.dataDir ?? io.env['COHORT_DATA_DIR'] ? { dataDir: (a.dataDir ?? io.env['COHORT_DATA_DIR'])! } : {}),
    ...(a.url ? { url: a.url } : {}),
    ...(a.token ? { token: a.token } : {}),
    ...(a.ca ? { caFile: a.ca } : {}),
    env: io.env,
  });
}

export function buildCli(argv: string[], io: CliIo): Argv {
  return yargs(argv)
    .scriptName('cohort-coordinator')
    .usage('$0 <command>\n\nThe CohortFL coordinator: enrolls sites, publishes tasks, runs federated rounds.')
    .option('data-dir', { type: 'string', describe: 'coordinator data directory (default: COHORT_DATA_DIR)' })
    .command('init', 'create a data directory: key, store, admin token, config', (y) => y, async (a) => {
      const r = await initCoordinator(dataDirOf(a, io));
      io.out(`initialized ${r.paths.dir}`);
      io.out(`coordinator public key: ${r.publicKey}`);
      io.out(`fingerprint: ${r.fingerprint}`);
      io.out(`admin token: ${r.paths.token} (mode 0600)`);
      io.out(`dashboard viewer token (read-only): ${r.paths.viewerToken} (mode 0600)`);
    })
    .command(
      'serve',
      'run the coordinator server (sites, admin API, /metrics)',
      (y) =>
        y
          .option('config', { type: 'string', describe: 'config file (default: <data-dir>/config.json)' })
          .option('host', { type: 'string', describe: 'interface to listen on (default 127.0.0.1)' })
          .option('port', { type: 'number', describe: 'port; 0 picks a free one (default 7300)' })
          .option('tls-cert', { type: 'string', describe: 'TLS certificate (PEM); with --tls-key serves https' })
          .option('tls-key', { type: 'string', describe: 'TLS private key (PEM)' })
          .option('max-message-bytes', { type: 'number', describe: 'largest frame accepted or sent (default 64 MiB)' })
          .option('chunk-bytes', { type: 'number', describe: 'weights above this many bytes are sent in chunks (default 8 MiB)' })
          .option('pre-auth-frame-bytes', { type: 'number', describe: 'largest frame a connection may send before it authenticates (default 8 KiB)' })
          .option('max-unauthenticated', { type: 'number', describe: 'unauthenticated connections at once (default 256)' })
          .option('max-unauthenticated-per-address', { type: 'number', describe: 'unauthenticated connections at once from one address (default 16)' })
          .option('train-timeout', { type: 'number', describe: 'train phase deadline in seconds (default: the task\'s)' })
          .option('evaluate-timeout', { type: 'number', describe: 'evaluate phase deadline in seconds (default: the task\'s)' })
          .option('secagg-timeout', { type: 'number', describe: 'deadline of each secure aggregation exchange in seconds (default: the task\'s)' })
          .option('retry-delay-ms', { type: 'number', describe: 'wait before retrying a failed round attempt (default 2000)' })
          .option('log-level', { type: 'string', choices: LOG_LEVELS, describe: 'log level (default info)' }),
      async (a) => {
        const running = await startCoordinator({
          dataDir: dataDirOf(a, io),
          ...(a.config ? { configFile: a.config } : {}),
          env: io.env,
          ...serveOverrides(a),
        });
        const unguard = io.processGuard ? installProcessGuard({ record: running.recordUncaught }) : undefined;
        io.out(`cohort-coordinator listening on ${running.url}`);
        await (io.stopSignal ?? waitForSignal)();
        await running.close();
        unguard?.();
      },
    )
    .command('sites', 'enroll, list and revoke sites', (y) =>
      y
        .command(
          'add <name>',
          'enroll a site by its public key',
          (s) =>
            s
              .positional('name', { type: 'string', demandOption: true, describe: 'site name (a-z, 0-9, . _ -)' })
              .option('public-key', { type: 'string', demandOption: true, describe: 'the site\'s key, ed25519:… (from cohort-site keygen)' }),
          (a) => {
            const row = withAudited(dataDirOf(a, io), (store, identity) => {
              const added = store.addSite({ name: a.name, publicKey: a.publicKey, at: Date.now() });
              appendAudit(store, identity, { at: added.enrolledAt, kind: AUDIT_KINDS.SITE_ENROLLED, site: added.name, data: { publicKey: added.publicKey } });
              return added;
            });
            io.out(`enrolled site ${row.name} (fingerprint ${fingerprint(decodePublicKey(row.publicKey))})`);
          },
        )
        .command(
          'list',
          'list enrolled sites',
          (s) => s.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
          (a) => {
            const sites = withStore(dataDirOf(a, io), (store) => store.listSites());
            if (a.json) return io.out(JSON.stringify(sites, null, 2));
            if (sites.length === 0) return io.out('no sites enrolled');
            for (const s of sites) {
              io.out(`${s.name}  ${s.status}  ${fingerprint(decodePublicKey(s.publicKey))}  enrolled ${iso(s.enrolledAt)}  last seen ${iso(s.lastSeen)}`);
            }
          },
        )
        .command(
          'revoke <name>',
          'revoke a site (a connected site is disconnected within 2 s)',
          (s) =>
            s
              .positional('name', { type: 'string', demandOption: true })
              .option('reason', { type: 'string', describe: 'why (kept in the store)' }),
          (a) => {
            const at = Date.now();
            const row = withAudited(dataDirOf(a, io), (store, identity) => {
              const revoked = store.revokeSite(a.name, { at, ...(a.reason !== undefined ? { reason: a.reason } : {}) });
              // Only the first revocation is an event; repeating the command changes nothing.
              if (revoked.revokedAt === at) {
                appendAudit(store, identity, { at, kind: AUDIT_KINDS.SITE_REVOKED, site: revoked.name, data: { reason: revoked.revokeReason } });
              }
              return revoked;
            });
            io.out(row.revokedAt === at ? `revoked site ${row.name}` : `site ${row.name} was already revoked at ${iso(row.revokedAt)}`);
          },
        )
        .command(
          'consortium',
          'the consortium membership file hospitals pin (every active site and its key), and its SHA-256',
          (s) => s.option('out', { type: 'string', describe: 'write the file here (default: print it)' }),
          (a) => {
            const membership = withStore(dataDirOf(a, io), (store) => consortiumOf(store));
            const text = membershipFile(membership);
            const summary = `consortium of ${membership.members.length} sites, sha256 ${membership.digest}; each hospital checks this hash out of band and pins it as policy.consortium`;
            if (a.out === undefined) {
              io.out(text.trimEnd());
              io.err(summary);
            } else {
              writeFileSync(a.out, text);
              io.out(`${summary} (written to ${a.out})`);
            }
          },
        )
        .demandCommand(1, 'choose a sites command: add, list, revoke or consortium'),
    )
    .command('tasks', 'publish tasks', (y) =>
      y
        .command(
          'publish <file>',
          'publish a task: a manifest .json (sdk buildManifest) or a JS module exporting `task` or default',
          (s) => s.positional('file', { type: 'string', demandOption: true }),
          async (a) => {
            const dataDir = dataDirOf(a, io);
            const built = await readTaskFile(a.file);
            const row = withAudited(dataDir, (store, identity) => {
              const now = Date.now();
              const published = publishManifest(store, built, now);
              // Publishing the same task again returns the first publication: no new event.
              if (published.publishedAt !== now) return published;
              appendAudit(store, identity, {
                at: published.publishedAt,
                kind: AUDIT_KINDS.TASK_PUBLISHED,
                data: { hash: published.hash, name: published.name, version: published.version },
              });
              return published;
            });
            io.out(`published task ${row.name} ${row.version}: ${row.hash}`);
          },
        )
        .demandCommand(1, 'choose a tasks command: publish'),
    )
    .command('rounds', 'start and stop federated rounds on the running server', (y) =>
      y
        .command(
          'start',
          'start a run of a published task',
          (s) =>
            adminOptions(s)
              .option('task', { type: 'string', demandOption: true, describe: 'task name (latest published) or hash' })
              .option('rounds', { type: 'number', describe: 'number of rounds (default: the task\'s)' })
              .option('hold-out', { type: 'string', array: true, describe: 'site(s) evaluated every round but never trained on (external validation)' }),
          async (a) => {
            const target = adminTarget(a, io);
            const run = await adminRequest<{ id: number; task: string; taskHash: string; rounds: number }>(target, 'POST', '/api/runs', {
              task: a.task,
              ...(a.rounds !== undefined ? { rounds: a.rounds } : {}),
              ...(a['holdOut'] !== undefined ? { holdOut: a['holdOut'] as string[] } : {}),
            });
            io.out(`started run ${run.id}: task ${run.task} (${run.taskHash}), ${run.rounds} rounds`);
          },
        )
        .command(
          'stop',
          'stop the running run (its open round fails; saved checkpoints stay)',
          (s) => adminOptions(s).option('run', { type: 'number', describe: 'run id (default: the running run)' }),
          async (a) => {
            const target = adminTarget(a, io);
            let id = a.run;
            if (id === undefined) {
              const status = await adminRequest<StatusReport>(target, 'GET', '/api/status');
              if (!status.run || status.run.status !== 'running') throw new CohortError('NOT_FOUND', 'no run is running');
              id = status.run.id;
            }
            if (!Number.isSafeInteger(id) || id < 1) throw new CohortError('CONFIG_INVALID', '--run must be a run id (a positive integer)');
            const run = await adminRequest<{ id: number; status: string; message: string | null }>(target, 'POST', `/api/runs/${id}/stop`);
            io.out(`stopped run ${run.id}: ${run.status}${run.message ? ` (${run.message})` : ''}`);
          },
        )
        .demandCommand(1, 'choose a rounds command: start or stop'),
    )
    .command(
      'status',
      'connected sites, current round and phase, progress, last metrics',
      (y) => adminOptions(y).option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
      async (a) => {
        const status = await adminRequest<StatusReport>(adminTarget(a, io), 'GET', '/api/status');
        if (a.json) io.out(JSON.stringify(status, null, 2));
        else for (const line of statusLines(status)) io.out(line);
      },
    )
    .command(
      'provenance <run>',
      'the signed provenance record of a run\'s checkpoint: JSON (stdout or --out), with --html a readable view',
      (y) =>
        y
          .positional('run', { type: 'number', demandOption: true, describe: 'run id' })
          .option('round', { type: 'number', describe: 'the checkpoint after this round (default: the last completed round)' })
          .option('out', { type: 'string', describe: 'write the JSON here (default: stdout)' })
          .option('html', { type: 'string', describe: 'also write the HTML view here' }),
      (a) => {
        const positive = (v: number | undefined, flag: string) => {
          if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw new CohortError('CONFIG_INVALID', `${flag} must be a positive integer`);
        };
        positive(a.run, '<run>');
        positive(a.round, '--round');
        withAudited(dataDirOf(a, io), (store, identity) =>
          runProvenanceCommand(
            { store, identity, run: a.run, ...(a.round === undefined ? {} : { round: a.round }), ...(a.out === undefined ? {} : { out: a.out }), ...(a.html === undefined ? {} : { html: a.html }) },
            { out: io.out, err: io.err },
          ),
        );
      },
    )
    .command(
      'verify-provenance <file>',
      'check a provenance record: its format, hash chain and the coordinator\'s signature',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: 'provenance JSON (from cohort-coordinator provenance)' })
          .option('public-key', { type: 'string', describe: 'the coordinator key to trust, ed25519:… (default: the key of --data-dir)' }),
      (a) => {
        const key = a.publicKey !== undefined ? decodePublicKey(a.publicKey) : readKeyFile(dataPaths(dataDirOf(a, io)).key).publicKey;
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(a.file, 'utf8'));
        } catch (error) {
          throw new CohortError('DATA_INVALID', `cannot read ${a.file} as JSON: ${(error as Error).message}`, { cause: error });
        }
        const verdict = verifyProvenance(json, key);
        if (!verdict.ok) {
          for (const problem of verdict.problems) io.err(`  ${problem}`);
          throw new CohortError('SIGNATURE_INVALID', `${a.file} does not verify (${verdict.problems.length} problem${verdict.problems.length === 1 ? '' : 's'})`);
        }
        const r = verdict.record;
        io.out(`OK: provenance of run ${r.run.id}, checkpoint after round ${r.checkpoint.round} (${r.checkpoint.sha256}); ${r.rounds.length} rounds chain to it and the coordinator's signature verifies`);
      },
    )
    .command(
      'dashboard',
      'where the running server\'s web dashboard is, and which token opens it',
      (y) => y,
      (a) => {
        const dataDir = dataDirOf(a, io);
        const paths = dataPaths(dataDir);
        const { url } = resolveAdminTarget({ dataDir, env: io.env });
        io.out(`dashboard: ${url}/dashboard/`);
        io.out(`read-only sign-in: the viewer token in ${paths.viewerToken}`);
        io.out(`operator sign-in (start and stop runs): the admin token in ${paths.token}`);
      },
    )
    .command('audit', 'the signed, hash-chained audit log', (y) =>
      y
        .command(
          'export',
          'write the audit log as JSON (sites check it with: cohort-site audit verify <file>)',
          (s) => s.option('out', { type: 'string', describe: 'output file (default: stdout)' }),
          (a) => {
            const log = withAudited(dataDirOf(a, io), (store, identity) => exportAudit(store, identity));
            const text = JSON.stringify(log, null, 2);
            if (a.out === undefined) return io.out(text);
            writeFileSync(a.out, `${text}\n`);
            io.out(`wrote ${log.entries.length} audit entries to ${a.out}`);
          },
        )
        .demandCommand(1, 'choose an audit command: export'),
    )
    .command(
      'report',
      'evaluation of a run from the store: per round pooled/worst-site AUC and subgroup gaps, then each site',
      (y) =>
        y
          .option('run', { type: 'number', describe: 'run id (default: the running run, else the latest)' })
          .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
          .option('html', { type: 'string', describe: 'also write a self-contained HTML report with charts to this file' }),
      (a) => {
        if (a.run !== undefined && (!Number.isSafeInteger(a.run) || a.run < 1)) throw new CohortError('CONFIG_INVALID', '--run must be a run id (a positive integer)');
        if (a.html !== undefined) {
          const html = withAudited(dataDirOf(a, io), (store, identity) =>
            renderReportHtml(runReportInput(store, a.run, fingerprint(identity.publicKey))),
          );
          writeFileSync(a.html, html);
          io.err(`wrote the HTML report to ${a.html} (${Math.round(Buffer.byteLength(html) / 1024)} KiB, self-contained)`);
        }
        const report = withStore(dataDirOf(a, io), (store) => evalReport(store, a.run));
        if (a.json) io.out(JSON.stringify(report, null, 2));
        else for (const line of evalReportLines(report)) io.out(line);
      },
    )
    .demandCommand(1, 'choose a command; see --help')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(null)
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new CohortError('CONFIG_INVALID', message);
    });
}

/** Runs one command; returns the process exit code (exitCodeFor the error, 0 on success). */
export async function runCli(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    await buildCli(argv, io).parseAsync();
    return 0;
  } catch (error) {
    io.err(`cohort-coordinator: ${error instanceof Error ? error.message : String(error)}`);
    return exitCodeFor(error);
  }
}
