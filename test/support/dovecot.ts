import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The only address the test server listens on. */
const DOVECOT_HOST = '127.0.0.1';

/** Upper bound for Dovecot to accept connections; a healthy start takes well under a second. */
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_POLL_INTERVAL_MS = 15;
const GREETING_TIMEOUT_MS = 1_000;
const PASSWD_RECHECK_MARGIN_MS = 20;
/** A port found free by probing can be taken by a parallel test before Dovecot binds it. */
const START_ATTEMPTS = 3;
/** A directory younger than this may belong to a harness that has not written its record yet. */
const STALE_DIR_MIN_AGE_MS = 60_000;
const DIR_PREFIX = 'techmail-dovecot-';
const RECORD_FILE = 'harness.json';
const EC_KEY = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1';
const SERVER_CERT_EXTENSIONS = `basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
`;
/** Dovecot lower-cases logins (auth_username_format = %Lu) and uses the name as a directory. */
const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._@+-]*$/;
/** passwd-file separates fields with ':' and records with newlines. */
const PASSWORD_FORBIDDEN_PATTERN = /[:\r\n\0]/;

/** One POP3 account of the test server. */
export interface DovecotUser {
  /** Login name: lower-case letters, digits and `._@+-`. */
  readonly user: string;
  /** Plain-text password; must not contain `:`, CR, LF or NUL. */
  readonly password: string;
  /**
   * Refuse every login, even with the right password, as a locked or
   * disabled account is refused (a `deny` passdb).
   * @default false
   */
  readonly locked?: boolean;
}

/** Options of {@link startDovecot}. */
export interface StartDovecotOptions {
  /** Accounts to create, each with an empty Maildir. */
  readonly users: readonly DovecotUser[];
}

/** A message file in a user's Maildir. */
export interface MaildirMessage {
  /** File name; Dovecot appends `:2,<flags>` once it has seen the message. */
  readonly name: string;
  /** `new` until a POP3 session has seen the message, then `cur`. */
  readonly folder: 'new' | 'cur';
  /** The stored bytes. */
  readonly bytes: Buffer;
}

/** A running private Dovecot POP3 server. */
export interface DovecotServer {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** Implicit TLS (pop3s) port. */
  readonly pop3sPort: number;
  /** Plain-text port; offers STLS and accepts USER/PASS without TLS. */
  readonly pop3Port: number;
  /** PEM file of the throwaway CA that signed the server certificate (SAN 127.0.0.1, localhost). */
  readonly caPath: string;
  /** The same CA as a PEM string, for the `ca` option of `tls.connect`. */
  readonly caPem: string;
  /** Dovecot's log file, for diagnosing a failing test. */
  readonly logPath: string;
  /** Writes each message into the user's `Maildir/new` (via `tmp`), byte for byte and in order. */
  deliver(user: string, messages: readonly Buffer[]): Promise<void>;
  /** Counts the messages in the user's `new` and `cur` folders. */
  countMessages(user: string): Promise<number>;
  /** Lists the user's messages in delivery order. */
  listMessages(user: string): Promise<MaildirMessage[]>;
  /** Changes a password on the server, as a rotation would; takes up to a second to apply. */
  setPassword(user: string, password: string): Promise<void>;
  /** Locks or unlocks an account (see {@link DovecotUser.locked}); takes up to a second to apply. */
  setLocked(user: string, locked: boolean): Promise<void>;
  /** Stops the Dovecot process this helper started and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

interface Identity {
  /** Owner of Maildirs and mail files (the `mail` user when run as root). */
  readonly uid: number;
  readonly gid: number;
  /** Dovecot's auth and anvil processes run as this user and must read the passwd-file. */
  readonly internalUser: string;
  readonly internalUid: number;
  readonly internalGroup: string;
  readonly loginUser: string;
}

interface HarnessRecord {
  readonly ownerPid: number;
  readonly dovecotPid?: number;
}

interface Layout {
  readonly dir: string;
  readonly confPath: string;
  readonly logPath: string;
  readonly passwdPath: string;
  readonly deniedPath: string;
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

const liveMasters = new Set<ChildProcess>();
let lastMaildirMicros = 0;

process.once('exit', () => {
  // A test that never called stop() must not leave a server behind.
  for (const child of liveMasters) child.kill('SIGTERM');
});

/**
 * Starts a private Dovecot POP3 server under a fresh temp dir, listening on
 * 127.0.0.1 only with free ports, and waits until both ports send a POP3
 * greeting (typically 0.1 to 0.2 s; `stop()` takes about 1 s, Dovecot's own
 * shutdown wait).
 *
 * It never touches the system Dovecot service or `/etc/dovecot`. Run as root,
 * mail is owned by the `mail` user; otherwise everything runs as the caller.
 * UIDLs use `%08Xu%08Xv`, stable across sessions and restarts. The auth
 * penalty is off, so a rejected login answers after Dovecot's 0.5 s batching
 * and never slows the next one.
 * `NODE_EXTRA_CA_CERTS` is only read at process start, so set it to
 * {@link DovecotServer.caPath} for child processes and pass `caPem` in-process.
 *
 * @param options accounts to create
 * @returns the running server; call `stop()` in `afterAll`
 * @example
 * const server = await startDovecot({ users: [{ user: 'support', password: 's3cret' }] });
 * await server.deliver('support', [Buffer.from('Subject: hi\n\nbody\n')]);
 * await server.stop();
 */
export async function startDovecot(
  options: StartDovecotOptions,
): Promise<DovecotServer> {
  const passwords = new Map<string, string>();
  const locked = new Set<string>();
  for (const { user, password, locked: isLocked } of options.users) {
    assertUserName(user);
    assertPassword(user, password);
    if (passwords.has(user)) {
      throw new Error(`Dovecot test user "${user}" is listed twice.`);
    }
    passwords.set(user, password);
    if (isLocked) locked.add(user);
  }
  await reapStaleDirs();

  const dir = await mkdtemp(path.join(os.tmpdir(), DIR_PREFIX));
  try {
    await writeRecord(dir, { ownerPid: process.pid });
    const layout = describeLayout(dir);
    const identity = resolveIdentity();
    // Dovecot's unprivileged processes must traverse into the directory.
    await chmod(dir, 0o755);
    await createCertificates(layout);
    await writePasswdFile(layout, identity, passwords);
    await writeDeniedFile(layout, identity, locked);
    await mkdir(path.join(dir, 'home'), { mode: 0o755 });
    for (const user of passwords.keys()) {
      await createMaildir(layout, identity, user);
    }
    const caPem = await readFile(layout.caPath, 'utf8');
    const started = await launch(layout, identity, caPem);

    return buildServer(
      layout,
      identity,
      { passwords, locked },
      {
        ...started,
        caPem,
      },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function assertUserName(user: string): void {
  if (!USER_NAME_PATTERN.test(user)) {
    throw new Error(
      `Dovecot test user "${user}" is invalid: use lower-case letters, digits and ._@+- only.`,
    );
  }
}

function assertPassword(user: string, password: string): void {
  if (password === '' || PASSWORD_FORBIDDEN_PATTERN.test(password)) {
    throw new Error(
      `Password of Dovecot test user "${user}" must be non-empty and free of ':', CR, LF and NUL.`,
    );
  }
}

function describeLayout(dir: string): Layout {
  return {
    dir,
    confPath: path.join(dir, 'dovecot.conf'),
    logPath: path.join(dir, 'dovecot.log'),
    passwdPath: path.join(dir, 'passwd'),
    deniedPath: path.join(dir, 'denied'),
    caPath: path.join(dir, 'tls', 'ca.pem'),
    certPath: path.join(dir, 'tls', 'server.pem'),
    keyPath: path.join(dir, 'tls', 'server.key'),
  };
}

function resolveIdentity(): Identity {
  if (process.getuid?.() !== 0) {
    const me = os.userInfo();
    return {
      uid: me.uid,
      gid: me.gid,
      internalUser: me.username,
      internalUid: me.uid,
      internalGroup: findGroupName(me.gid),
      loginUser: me.username,
    };
  }
  const mail = findSystemUser('mail');

  return {
    uid: mail.uid,
    gid: mail.gid,
    internalUser: 'dovecot',
    internalUid: findSystemUser('dovecot').uid,
    internalGroup: 'dovecot',
    loginUser: 'dovenull',
  };
}

function findSystemUser(name: string): { uid: number; gid: number } {
  const fields = findEntry('/etc/passwd', (entry) => entry[0] === name);
  if (!fields) {
    throw new Error(
      `System user "${name}" is missing: install dovecot-core (it creates dovecot and dovenull).`,
    );
  }

  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

function findGroupName(gid: number): string {
  const fields = findEntry('/etc/group', (entry) => entry[2] === String(gid));
  if (!fields?.[0]) {
    // Dovecot resolves group settings by name only.
    throw new Error(
      `Group ${gid} has no name in /etc/group; Dovecot needs one for default_internal_group.`,
    );
  }

  return fields[0];
}

function findEntry(
  file: string,
  matches: (fields: string[]) => boolean,
): string[] | undefined {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find(matches);
}

async function createCertificates(layout: Layout): Promise<void> {
  const tlsDir = path.dirname(layout.caPath);
  await mkdir(tlsDir, { mode: 0o700 });
  await writeFile(path.join(tlsDir, 'server.ext'), SERVER_CERT_EXTENSIONS);
  const serial = `0x${randomBytes(8).toString('hex')}`;
  // Run inside tlsDir with relative names, so no argument contains a space.
  const commands = [
    `req -x509 ${EC_KEY} -nodes -days 2 -subj /O=Techmail/CN=test-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.pem`,
    `req ${EC_KEY} -nodes -subj /CN=localhost -keyout server.key -out server.csr`,
    `x509 -req -in server.csr -days 2 -CA ca.pem -CAkey ca.key -set_serial ${serial} -extfile server.ext -out server.pem`,
  ];
  for (const command of commands) {
    try {
      await execFileAsync('openssl', command.split(' '), { cwd: tlsDir });
    } catch (error) {
      throw new Error(
        `openssl failed to create the Dovecot test certificates (openssl ${command}); is openssl installed?`,
        { cause: error },
      );
    }
  }
}

async function writePasswdFile(
  layout: Layout,
  identity: Identity,
  passwords: ReadonlyMap<string, string>,
): Promise<void> {
  const lines = [...passwords].map(([user, pw]) => `${user}:{PLAIN}${pw}\n`);
  await writeAuthFile(layout.passwdPath, identity, lines.join(''));
}

async function writeDeniedFile(
  layout: Layout,
  identity: Identity,
  locked: ReadonlySet<string>,
): Promise<void> {
  const lines = [...locked].map((user) => `${user}\n`);
  await writeAuthFile(layout.deniedPath, identity, lines.join(''));
}

async function writeAuthFile(
  filePath: string,
  identity: Identity,
  content: string,
): Promise<void> {
  // A rename, so that Dovecot never reads a half-written file.
  const tmpPath = `${filePath}.${process.pid}.tmp`;
  await writeFile(tmpPath, content, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    await chown(tmpPath, identity.internalUid, identity.gid);
  }
  await rename(tmpPath, filePath);
}

/**
 * Rewrites a passwd-file and waits until Dovecot has read it again: it
 * re-reads only when the whole-second mtime (or size) changed, and checks
 * at most once per second.
 */
async function replaceAuthFile(
  filePath: string,
  write: () => Promise<void>,
): Promise<void> {
  const { mtimeMs } = await stat(filePath);
  await write();
  const mtime = Math.max(Math.floor(mtimeMs / 1000) + 1, Date.now() / 1000);
  await utimes(filePath, mtime, mtime);
  await delay(1000 - (Date.now() % 1000) + PASSWD_RECHECK_MARGIN_MS);
}

async function createMaildir(
  layout: Layout,
  identity: Identity,
  user: string,
): Promise<void> {
  const home = homeOf(layout, user);
  const dirs = [home, path.join(home, 'Maildir')].concat(
    ['cur', 'new', 'tmp'].map((sub) => maildirPath(layout, user, sub)),
  );
  for (const dir of dirs) {
    await mkdir(dir, { mode: 0o700 });
    await chownToMail(dir, identity);
  }
}

function homeOf(layout: Layout, user: string): string {
  return path.join(layout.dir, 'home', user);
}

function maildirPath(layout: Layout, user: string, sub: string): string {
  return path.join(homeOf(layout, user), 'Maildir', sub);
}

async function chownToMail(target: string, identity: Identity): Promise<void> {
  if (process.getuid?.() === 0) await chown(target, identity.uid, identity.gid);
}

function renderConfig(
  layout: Layout,
  identity: Identity,
  ports: { pop3: number; pop3s: number },
): string {
  const { dir } = layout;
  const { uid, gid } = identity;

  return `# Private test server written by test/support/dovecot.ts
instance_name = ${path.basename(dir)}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${layout.logPath}
protocols = pop3
listen = ${DOVECOT_HOST}
ssl = yes
ssl_cert = <${layout.certPath}
ssl_key = <${layout.keyPath}
# Tests need security "none" as well as STLS and pop3s.
disable_plaintext_auth = no
auth_mechanisms = plain login
# Dovecot still batches failures every 0.5 s; the default would add 2 s more.
auth_failure_delay = 0
default_internal_user = ${identity.internalUser}
default_internal_group = ${identity.internalGroup}
default_login_user = ${identity.loginUser}
first_valid_uid = ${uid}
last_valid_uid = ${uid}
first_valid_gid = ${gid}
last_valid_gid = ${gid}
mail_location = maildir:~/Maildir
# UID plus UIDVALIDITY, both kept in dovecot-uidlist: stable across sessions.
pop3_uidl_format = %08Xu%08Xv
# Accounts listed here are refused whatever the password (locked).
passdb {
  driver = passwd-file
  deny = yes
  args = ${layout.deniedPath}
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${layout.passwdPath}
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/home/%u
}
# No chroots, so that the same file works when run without root.
service pop3-login {
  chroot =
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}
service anvil {
  chroot =
  # Dovecot's documented switch for the auth penalty, which would hold every
  # login after a failure from 127.0.0.1 for seconds.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service ipc {
  chroot =
}
`;
}

interface Started {
  readonly child: ChildProcess;
  readonly pop3Port: number;
  readonly pop3sPort: number;
}

async function launch(
  layout: Layout,
  identity: Identity,
  caPem: string,
): Promise<Started> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const pop3 = await findFreePort();
    const pop3s = await findFreePort();
    await writeFile(
      layout.confPath,
      renderConfig(layout, identity, { pop3, pop3s }),
    );
    const child = spawn(dovecotBinary(), ['-F', '-c', layout.confPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    liveMasters.add(child);
    child.once('exit', () => liveMasters.delete(child));
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    try {
      await writeRecord(layout.dir, {
        ownerPid: process.pid,
        dovecotPid: child.pid,
      });
      await waitUntilReady(child, { pop3, pop3s }, caPem);

      return { child, pop3Port: pop3, pop3sPort: pop3s };
    } catch (error) {
      await terminate(child);
      const log = await readFile(layout.logPath, 'utf8').catch(() => '');
      lastError = new Error(
        `Dovecot test server did not start (attempt ${attempt}); stderr: ${stderr.trim()}; log: ${log.trim()}`,
        { cause: error },
      );
    }
  }
  throw lastError;
}

function dovecotBinary(): string {
  // /usr/sbin is often missing from PATH when not root.
  return existsSync('/usr/sbin/dovecot') ? '/usr/sbin/dovecot' : 'dovecot';
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, DOVECOT_HOST, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(
  child: ChildProcess,
  ports: { pop3: number; pop3s: number },
  caPem: string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const plain = () => net.connect(ports.pop3, DOVECOT_HOST);
  const secure = () =>
    tls.connect({ host: DOVECOT_HOST, port: ports.pop3s, ca: caPem });
  // A greeting, not just an accepted connection: the master can bind its
  // ports and still die while starting the services behind them.
  while (!((await greets(plain)) && (await greets(secure)))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `Dovecot exited with ${child.exitCode ?? child.signalCode}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`no POP3 greeting within ${START_TIMEOUT_MS} ms`);
    }
    await delay(PORT_POLL_INTERVAL_MS);
  }
}

function greets(connect: () => net.Socket): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect();
    socket.setTimeout(GREETING_TIMEOUT_MS, () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      socket.destroy();
      resolve(chunk.toString('latin1').startsWith('+OK'));
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function buildServer(
  layout: Layout,
  identity: Identity,
  accounts: { passwords: Map<string, string>; locked: Set<string> },
  started: Started & { caPem: string },
): DovecotServer {
  const { passwords, locked } = accounts;
  const assertKnown = (user: string): void => {
    if (!passwords.has(user)) {
      throw new Error(
        `Dovecot test server has no user "${user}"; add it to startDovecot({ users }).`,
      );
    }
  };
  const userDir = (user: string, sub: string): string => {
    assertKnown(user);
    return maildirPath(layout, user, sub);
  };
  const listMaildir = async (user: string) => {
    const folders = ['new', 'cur'] as const;
    const listed = await Promise.all(
      folders.map(async (folder) =>
        (await readdir(userDir(user, folder))).map((name) => ({
          name,
          folder,
        })),
      ),
    );
    return listed.flat().sort((a, b) => (a.name < b.name ? -1 : 1));
  };
  let stopped = false;

  return {
    host: DOVECOT_HOST,
    pop3sPort: started.pop3sPort,
    pop3Port: started.pop3Port,
    caPath: layout.caPath,
    caPem: started.caPem,
    logPath: layout.logPath,
    async deliver(user, messages) {
      const tmpDir = userDir(user, 'tmp');
      for (const message of messages) {
        const name = nextMaildirName();
        const tmpPath = path.join(tmpDir, name);
        await writeFile(tmpPath, message, { mode: 0o600 });
        await chownToMail(tmpPath, identity);
        await rename(tmpPath, path.join(userDir(user, 'new'), name));
      }
    },
    async countMessages(user) {
      return (await listMaildir(user)).length;
    },
    async listMessages(user) {
      const listed = await listMaildir(user);
      return Promise.all(
        listed.map(async ({ name, folder }) => ({
          name,
          folder,
          bytes: await readFile(path.join(userDir(user, folder), name)),
        })),
      );
    },
    async setPassword(user, password) {
      assertKnown(user);
      assertPassword(user, password);
      passwords.set(user, password);
      await replaceAuthFile(layout.passwdPath, () =>
        writePasswdFile(layout, identity, passwords),
      );
    },
    async setLocked(user, isLocked) {
      assertKnown(user);
      if (isLocked) locked.add(user);
      else locked.delete(user);
      await replaceAuthFile(layout.deniedPath, () =>
        writeDeniedFile(layout, identity, locked),
      );
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(started.child);
      await rm(layout.dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/**
 * Maildir names start with `<seconds>.M<microseconds>`; Dovecot assigns UIDs
 * in that order, so strictly increasing, zero-padded values keep POP3 order
 * equal to delivery order and to the names' sort order.
 */
function nextMaildirName(): string {
  const micros = Math.max(Date.now() * 1000, lastMaildirMicros + 1);
  lastMaildirMicros = micros;
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = String(micros % 1_000_000).padStart(6, '0');

  return `${seconds}.M${fraction}P${process.pid}.techmail-test`;
}

async function writeRecord(dir: string, record: HarnessRecord): Promise<void> {
  await writeFile(path.join(dir, RECORD_FILE), JSON.stringify(record));
}

/**
 * Removes directories left by a test process that died without stop(). A
 * Dovecot master still running from such a directory is killed by its recorded
 * PID, and only when its command line names that directory.
 */
async function reapStaleDirs(): Promise<void> {
  const tmp = os.tmpdir();
  for (const entry of await readdir(tmp)) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(tmp, entry);
    const record = await readRecord(dir);
    if (record === undefined) {
      const info = await stat(dir).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs < STALE_DIR_MIN_AGE_MS) continue;
    } else if (isAlive(record.ownerPid)) {
      continue;
    } else if (record.dovecotPid && isOurDovecot(record.dovecotPid, dir)) {
      process.kill(record.dovecotPid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function readRecord(dir: string): Promise<HarnessRecord | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, RECORD_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isOurDovecot(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}
