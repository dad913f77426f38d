import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * The newest installed PostgreSQL server's bin directory (Debian's layout,
 * /usr/lib/postgresql/<major>/bin), or undefined when no server binary is installed.
 */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : join(root, majors[0], 'bin');
}

/** A PostgreSQL cluster of one test's own, in a temporary folder, that the test may stop and restart. */
export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres, trust authentication */
  readonly url: string;
  readonly port: number;
  /** the server's log, for diagnosis */
  log(): string;
  start(): Promise<void>;
  /** fast shutdown: open sessions are disconnected, no new connections until start() */
  stop(): Promise<void>;
  /** fast shutdown then start, as `pg_ctl restart -m fast` */
  restart(): Promise<void>;
  /** stops the server if it runs and deletes its folder */
  cleanup(): Promise<void>;
}

/** How long a start or stop may take before the test gives up on the server. */
const PG_WAIT_MS = 30_000;

/**
 * initdb a new cluster into a temporary folder: listening on 127.0.0.1 at a free port, its unix
 * socket in the same folder (not /var/run/postgresql, which the shared cluster uses), trust
 * authentication, and fsync off (the test crashes clients, not the server; durability across an
 * OS crash is not under test). Does not start it.
 *
 * initdb and postgres refuse to run as root, so as root they run as the `postgres` OS user.
 */
export async function createPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL server binary under /usr/lib/postgresql/*/bin');
  const dir = mkdtempSync(join(tmpdir(), 'zvonar-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await exec('id', ['-u', 'postgres']);
    const { stdout: gid } = await exec('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pgRun = (tool: string, args: string[], timeout = PG_WAIT_MS + 5_000) =>
    asRoot
      ? exec('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { timeout, env: { ...process.env, LC_ALL: 'C' } })
      : exec(join(bin, tool), args, { timeout, env: { ...process.env, LC_ALL: 'C' } });

  const port = await freePort();
  await pgRun('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  appendFileSync(join(data, 'postgresql.conf'), [
    '', '# zvonar private test cluster',
    "listen_addresses = '127.0.0.1'", `port = ${port}`, `unix_socket_directories = '${dir}'`,
    'fsync = off', 'synchronous_commit = off', 'full_page_writes = off', 'max_connections = 200', '',
  ].join('\n'));

  let running = false;
  const ready = async () => {
    const t0 = Date.now();
    for (;;) {
      try {
        await exec(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-t', '2'], { timeout: 5_000 });
        return;
      } catch {
        if (Date.now() - t0 > PG_WAIT_MS) throw new Error(`private PostgreSQL on port ${port} not ready after ${PG_WAIT_MS} ms:\n${tail(logFile)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const pgCtl = (...args: string[]) => pgRun('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', String(PG_WAIT_MS / 1000), ...args]);

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    log: () => tail(logFile),
    async start() {
      await pgCtl('start');
      running = true;
      await ready();
    },
    async stop() {
      await pgCtl('-m', 'fast', 'stop');
      running = false;
    },
    async restart() {
      await pgCtl('-m', 'fast', 'restart');
      running = true;
      await ready();
    },
    async cleanup() {
      if (running) await pgCtl('-m', 'immediate', 'stop').catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tail(file: string, lines = 60): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

/** A TCP port free on 127.0.0.1 now (the kernel picks it; another process could take it before us, rarely). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
