/**
 * The cohort-site commands, as a function of argv that returns the exit code,
 * so tests run them in-process. cli.ts only connects it to the real process.
 *   keygen --out <file>                  a new site key (0600); prints the public key to enroll
 *   check  --config <file> --task <file> validate config, policy, key and data against a task, offline
 *   run    --config <file>               connect, authenticate, take part in rounds until a signal
 *   audit verify <file> --config <file>  check a coordinator audit log's chain, signatures and this site's entries
 *   audit evidence --config <file> --out <file>  export this site's record of coordinator-signed messages
 *   audit compare <file...> [--config <file>]    compare sites' records: forged signatures, equivocation
 * Exit codes follow the CohortError catalog (`exitCodeFor`); usage errors are CONFIG_INVALID (2).
 */
import yargs from 'yargs';
import { AUDIT_SEAL_GRACE_MS, readKeyFile } from '@cohortfl/identity';
import { ERROR_CODES, exitCodeFor, installProcessGuard, isCohortError } from '@cohortfl/wire';
import { printAuditReport, printComparison } from './audit-report.js';
import { verifyAuditFile } from './audit-verify.js';
import { compareEvidence, coordinatorKeyOf, evidenceBundle, ownEvidence, readEvidenceFile, writeEvidenceFile } from './evidence.js';
import { loadSiteConfig } from './config.js';
import { keygen } from './keygen.js';
import { createLogger, LOG_LEVELS, type LogLevel } from './logger.js';
// `run` and `check` import the agent, the protocol, training and data loading (most of a
// second of module loading): they are imported when those commands run, so `keygen` and the
// `audit` commands start without them.

/** A usage error from yargs: thrown out of yargs so no command runs after it. */
class UsageError extends Error {}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when `run` should stop (default: SIGINT or SIGTERM). */
  untilStopped?: () => Promise<string>;
  /** run installs the process guard (wire's process-guard.ts); the bin does, in-process tests do not. */
  processGuard?: boolean;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function run(configPath: string, level: LogLevel, io: CliIo): Promise<void> {
  const config = loadSiteConfig(configPath);
  const logger = createLogger(level, config.site);
  const { startSiteAgent } = await import('./agent.js');
  const agent = await startSiteAgent(config, {
    logger,
    onEvent: (event) => {
      if (event.kind === 'connected') io.out(`cohort-site ${config.site} connected to ${event.url}`);
      if (event.kind === 'metrics') io.out(`cohort-site ${config.site} metrics on ${event.url}`);
    },
  });
  const unguard = io.processGuard ? installProcessGuard({ record: agent.recordUncaught }) : undefined;
  const signal = await (io.untilStopped ?? untilSignal)();
  logger.info({ signal }, 'stopping');
  await agent.stop();
  unguard?.();
}

/** Runs one command line (without `node` and the script) and returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const cli = yargs(argv)
    .scriptName('cohort-site')
    .usage("$0 <command> [options]\n\nThe CohortFL site agent: runs beside a hospital's data, enforces its policy, trains locally, signs its answers.")
    .command(
      'keygen',
      "Create this site's Ed25519 key file (mode 0600) and print its public key for enrollment",
      (y) => y.option('out', { type: 'string', demandOption: true, describe: 'Key file to write (never overwritten)' }),
      async (argv) => {
        const r = keygen(argv.out);
        io.out(`public key: ${r.publicKey}`);
        io.out(`fingerprint: ${r.fingerprint}`);
        io.out(`key file: ${r.path} (mode 0600; keep it secret, back it up)`);
        io.out(`enroll with: cohort-coordinator sites add <site-name> --public-key ${r.publicKey}`);
      },
    )
    .command(
      'check',
      'Validate config, policy, key file and data against a task manifest, without connecting',
      (y) =>
        y
          .option('config', { type: 'string', demandOption: true, describe: 'Site config file (JSON)' })
          .option('task', { type: 'string', demandOption: true, describe: 'Task manifest (.json from @cohortfl/sdk buildManifest)' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON' }),
      async (argv) => {
        const { checkSite } = await import('./check.js');
        const report = await checkSite(argv.config, argv.task);
        if (argv.json) io.out(JSON.stringify(report, null, 2));
        else for (const line of report.lines) io.out(line);
      },
    )
    .command(
      'run',
      "Connect to the coordinator and take part in the rounds this site's policy allows",
      (y) =>
        y
          .option('config', { type: 'string', demandOption: true, describe: 'Site config file (JSON)' })
          .option('log-level', { choices: LOG_LEVELS, default: 'info' as LogLevel, describe: 'Log level (JSON lines on stderr)' }),
      (argv) => run(argv.config, argv['log-level'], io),
    )
    .command('audit', 'Check the coordinator\'s audit log', (y) =>
      y
        .command(
          'verify <file>',
          "Verify an audit log (from cohort-coordinator audit export): chain and signatures against the pinned coordinator key, and this site's entries against its own record of what it signed",
          (v) =>
            v
              .positional('file', { type: 'string', demandOption: true, describe: 'Exported audit log (JSON)' })
              .option('config', { type: 'string', demandOption: true, describe: 'Site config file (JSON): coordinator.publicKey, site and stateDir are used' })
              .option('site-records', {
                type: 'boolean',
                default: true,
                describe: "Check the entries naming this site against <stateDir>/signed-messages.jsonl (--no-site-records: chain and signatures only)",
              })
              .option('every-signature', {
                type: 'boolean',
                default: false,
                describe: "Check the coordinator's signature on every entry, not only on the last one (which vouches for all of them through the hash chain)",
              })
              .option('seal-grace', {
                type: 'number',
                default: AUDIT_SEAL_GRACE_MS / 1000,
                describe: 'Seconds before the export seal after which a message this site signed may still have been in transit: missing from the log, it is a note, not a problem',
              }),
          (argv) => {
            const config = loadSiteConfig(argv.config);
            // The site's own key: the site signatures the coordinator logged must verify with it.
            const sitePublicKey = readKeyFile(config.keyFile).publicKey;
            const grace = argv['seal-grace'];
            if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--seal-grace must be a number of seconds ≥ 0, got ${String(grace)}`);
            const options = { siteRecords: argv['site-records'], sitePublicKey, sealGraceMs: Math.round(grace * 1000), everySignature: argv['every-signature'] };
            printAuditReport(argv.file, config.site, verifyAuditFile(argv.file, config, options), io);
          },
        )
        .command(
          'evidence',
          "Export this site's record of the coordinator-signed messages it acted on (<stateDir>/coordinator-messages.jsonl), for another site's audit compare",
          (v) =>
            v
              .option('config', { type: 'string', demandOption: true, describe: 'Site config file (JSON): site, coordinator.publicKey and stateDir are used' })
              .option('out', { type: 'string', demandOption: true, describe: 'Evidence file to write (never overwritten)' }),
          (argv) => {
            const config = loadSiteConfig(argv.config);
            const { bundle, damaged } = evidenceBundle(config.site, config.coordinator.publicKey, config.stateDir);
            for (const line of damaged) io.err(`warning: ${line}`);
            writeEvidenceFile(argv.out, bundle);
            io.out(`wrote ${bundle.records.length} coordinator-signed records of ${config.site} to ${argv.out}; anyone with the coordinator's public key can check them`);
          },
        )
        .command(
          'compare <files..>',
          "Compare several sites' records of coordinator-signed messages (from audit evidence): every signature must verify with the pinned coordinator key, and every site must have been sent the same message for each signed step",
          (v) =>
            v
              .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Evidence files from cohort-site audit evidence (other sites)' })
              .option('config', { type: 'string', describe: "Site config file (JSON): the pinned coordinator key, and this site's own records" })
              .option('coordinator-key', { type: 'string', describe: 'The coordinator public key (ed25519:…) to check with, instead of the one pinned in --config' })
              .option('own-records', { type: 'boolean', default: true, describe: "With --config, include this site's own <stateDir>/coordinator-messages.jsonl (--no-own-records: the files only)" }),
          (argv) => {
            const config = argv.config === undefined ? undefined : loadSiteConfig(argv.config);
            const keyText = argv['coordinator-key'] ?? config?.coordinator.publicKey;
            if (keyText === undefined) throw new UsageError('give --config (its pinned coordinator key) or --coordinator-key');
            const sources = [
              ...(config && argv['own-records'] ? [ownEvidence(config.site, config.stateDir)] : []),
              ...(argv.files as string[]).map(readEvidenceFile),
            ];
            if (sources.length < 2) throw new UsageError('compare needs the records of at least two sites');
            const comparison = compareEvidence(coordinatorKeyOf(keyText), sources);
            printComparison(comparison, sources.flatMap((s) => s.damaged), io);
          },
        )
        .demandCommand(1, 'Give an audit command: verify, evidence or compare'),
    )
    .demandCommand(1, 'Give a command: keygen, check, run or audit')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  try {
    await cli.parseAsync();
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`cohort-site: ${error.message}\nRun cohort-site --help for usage.`);
      return ERROR_CODES.CONFIG_INVALID;
    }
    const message = isCohortError(error) ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`;
    io.err(`cohort-site: ${message}`);
    return exitCodeFor(error);
  }
  return 0;
}
