import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL server for one test file: `initdb` into a new temporary folder, listening on
 * 127.0.0.1 and a free port (its socket in that folder, never a shared one), password authentication
 * over TCP. Postgres refuses to run as root, so as root it runs as the `postgres` system user (Debian's
 * package creates it). `close()` stops it at once and removes the folder; a test process that ends
 * without calling it still kills the server on its way out.
 */
export interface PostgresServer {
  host: string;
  port: number;
  /** The superuser's password: tests check it never shows in output. */
  password: string;
  /** With `tls`: the PEM certificate of the CA that signed the server's (issued to 127.0.0.1). */
  ca?: string;
  /** A URL to a database of its own, created on first use of the name (`postgres` exists already). */
  url(database?: string): string;
  /** Creates a new empty database and returns its URL. */
  freshDatabase(): Promise<string>;
  /** Stops the server at once (as a crash would), keeping its data: the database "goes away". */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; nothing when it runs. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const USER = 'factory';
let databases = 0;

export interface PostgresServerOptions {
  /** Serve TLS too, with a certificate for IP 127.0.0.1 signed by a CA made for this server. */
  tls?: boolean;
}

export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const binaries = postgresBinaries();
  const owner = serverUser();
  // As another user, the folder must be one that user can reach: the test run's own TMPDIR is private.
  const folder = mkdtempSync(join(owner ? '/tmp' : tmpdir(), 'factory-postgres-'));
  const data = join(folder, 'data');
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(folder, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(folder, owner.uid, owner.gid);
    chownSync(passwordFile, owner.uid, owner.gid);
  }
  let server: ChildProcess | undefined;
  let tlsSettings: string[] = [];
  const killOnExit = () => server?.kill('SIGKILL');
  process.once('exit', killOnExit);
  const port = await freePort();
  const handle: PostgresServer = {
    host: '127.0.0.1',
    port,
    password,
    url: (database = 'postgres') =>
      `postgres://${USER}:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    async freshDatabase() {
      databases += 1;
      const name = `factory_${process.pid}_${databases}`;
      const client = new pg.Client({ connectionString: handle.url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return handle.url(name);
    },
    async stop() {
      const running = server;
      server = undefined;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      // SIGQUIT is Postgres's immediate shutdown: no checkpoint, as if the machine went away.
      running.kill('SIGQUIT');
      const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async start() {
      if (server && server.exitCode === null && server.signalCode === null) return;
      server = await runServer(binaries.postgres, owner, data, folder, port, tlsSettings);
    },
    async close() {
      try {
        await handle.stop();
      } finally {
        process.off('exit', killOnExit);
        rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
  try {
    run(
      binaries.initdb,
      [
        `--pgdata=${data}`,
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=scram-sha-256',
        '--encoding=UTF8',
        '--no-locale',
        '--no-sync',
      ],
      owner,
    );
    if (options.tls) {
      const tls = makeCertificates(folder, owner);
      handle.ca = tls.ca;
      tlsSettings = ['-c', 'ssl=on', '-c', `ssl_cert_file=${tls.cert}`, '-c', `ssl_key_file=${tls.key}`];
    }
    await handle.start();
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** `initdb` and `postgres` on PATH, else the newest under Debian's /usr/lib/postgresql/<major>/bin. */
export function postgresBinaries(): { initdb: string; postgres: string } {
  const onPath = (name: string) =>
    (process.env.PATH ?? '')
      .split(':')
      .filter((folder) => folder.startsWith('/'))
      .map((folder) => join(folder, name))
      .find((file) => existsSync(file));
  const fromPath = { initdb: onPath('initdb'), postgres: onPath('postgres') };
  if (fromPath.initdb && fromPath.postgres) return { initdb: fromPath.initdb, postgres: fromPath.postgres };
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = majors[0];
  if (newest === undefined)
    throw new Error(
      'PostgreSQL is not installed: no initdb on PATH nor under /usr/lib/postgresql/*/bin (apt-get install postgresql)',
    );
  return { initdb: join(root, newest, 'bin', 'initdb'), postgres: join(root, newest, 'bin', 'postgres') };
}

interface ServerUser {
  uid: number;
  gid: number;
}

/** Postgres will not run as root: then it runs as the `postgres` system user; otherwise as this one. */
function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root, and there is no `postgres` user to run the test database as');
  }
}

/** The command and its arguments, as `owner` when given (setpriv: no PAM session, no extra process). */
function asOwner(
  command: string,
  args: readonly string[],
  owner: ServerUser | undefined,
): [string, string[]] {
  if (!owner) return [command, [...args]];
  return [
    'setpriv',
    [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--', command, ...args],
  ];
}

function run(command: string, args: readonly string[], owner: ServerUser | undefined): void {
  const [file, argv] = asOwner(command, args, owner);
  try {
    execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${command} failed: ${stderr || String(error)}`);
  }
}

async function runServer(
  postgres: string,
  owner: ServerUser | undefined,
  data: string,
  socketFolder: string,
  port: number,
  settings: readonly string[],
): Promise<ChildProcess> {
  const [file, argv] = asOwner(
    postgres,
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${socketFolder}`,
      // A test database: no fsync (a crash of the machine may lose it), but every commit is written to
      // the log before it returns, so stop() (a crash of the server) and start() keep what was committed.
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
      ...settings,
    ],
    owner,
  );
  const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`postgres did not start within 60 s:\n${log}`));
    }, 60_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      if (log.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited (${code ?? signal}) before it was ready:\n${log}`));
    });
  });
  // Keep reading, so a chatty server never blocks on a full pipe.
  child.stderr?.resume();
  return child;
}

/**
 * A CA and a server certificate for IP 127.0.0.1 it signs (openssl). The key is the server user's and
 * 0600, as Postgres demands.
 */
function makeCertificates(
  folder: string,
  owner: ServerUser | undefined,
): { ca: string; cert: string; key: string } {
  const file = (name: string) => join(folder, name);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: folder });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=factory test CA',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  );
  writeFileSync(file('server.ext'), 'subjectAltName = IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.pem'),
  );
  chmodSync(file('server.key'), 0o600);
  if (owner) for (const name of ['server.key', 'server.pem']) chownSync(file(name), owner.uid, owner.gid);
  return { ca: readFileSync(file('ca.pem'), 'utf8'), cert: file('server.pem'), key: file('server.key') };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
