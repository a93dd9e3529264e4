// Bookkeeping shared by the benchmarks that start real processes (`pnpm bench rounds`,
// `pnpm bench soak`): everything started is stopped, and every temp dir removed, on exit,
// failure and Ctrl-C; a failure prints the last warnings and errors of the logs first.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** `label` prefixes every line (e.g. 'bench rounds'); `keep` keeps the temp dirs. */
export function processBook(label, { keep }) {
  const children = new Set();
  const dirs = new Set();
  let currentLogs;
  const track = {
    child: (c) => (children.add(c), c.once('exit', () => children.delete(c))),
    dir: (d) => dirs.add(d),
    logs: (d) => (currentLogs = d),
  };
  /** The last warnings and errors of the failed configuration's logs, printed before its folder goes. */
  function printLogTails() {
    if (!currentLogs || !existsSync(currentLogs)) return;
    for (const file of readdirSync(currentLogs)) {
      const lines = readFileSync(join(currentLogs, file), 'utf8').split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-5);
      for (const line of lines) console.error(`  ${file}: ${line.length > 400 ? `${line.slice(0, 400)}…` : line}`);
    }
  }
  function removeDirs() {
    for (const d of dirs) if (!keep) rmSync(d, { recursive: true, force: true });
    dirs.clear();
  }
  /** Stops every child (SIGTERM, then SIGKILL after 5 s), waits for them, then removes the temp dirs. */
  async function shutdown() {
    const exits = [...children].map((c) => new Promise((resolve) => {
      c.once('exit', resolve);
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5000).unref();
    }));
    await Promise.all(exits);
    removeDirs();
  }
  // Last resort (an exception past everything): signal the children, remove the dirs.
  process.on('exit', () => {
    for (const c of children) c.kill('SIGTERM');
    removeDirs();
  });
  const book = {
    track,
    shutdown,
    interrupted: false,
    /** A bad flag, before anything started. */
    usage(message) {
      console.error(`${label}: ${message}`);
      process.exit(2);
    },
    async fail(message) {
      console.error(`${label}: ${message}`);
      printLogTails();
      if (!keep) console.error(`${label}: (run with --keep to keep every log and data folder)`);
      await shutdown();
      process.exit(1);
    },
    progress: (line) => console.error(`${label}: ${line}`),
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, async () => {
      if (book.interrupted) return;
      book.interrupted = true;
      console.error(`\n${label}: ${signal}: stopping every process and removing temp folders`);
      await shutdown();
      process.exit(130);
    });
  }
  return book;
}
