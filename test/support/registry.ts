// Real registries for tests and benchmarks: Debian's docker-registry (CNCF distribution 2.8)
// on 127.0.0.1, a free port and a temp storage dir, as plain HTTP, HTTPS with htpasswd basic
// auth, or bearer-token auth with our token server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from './exec.ts';
import { removeTree, removeTreeSync } from './mounts.ts';
import { labTempDir } from './temp-dirs.ts';
import { labTls } from './tls.ts';
import { TokenServer, type Permissions, type TokenAlgorithm, type TokenServerOptions } from './token-server.ts';

export type RegistryVariant = 'plain' | 'tls-basic' | 'token';

export interface LabRegistry {
  variant: RegistryVariant;
  /** "127.0.0.1:PORT" */
  host: string;
  /** http(s)://host */
  url: string;
  /** CA that signed the server certificate (tls-basic, and token with `tls`). */
  caFile?: string;
  username?: string;
  password?: string;
  /** A docker config.json with the credentials for `host` (tls-basic and token): for skopeo, buildah, kiln. */
  authFile?: string;
  storageDir: string;
  /** The registry's own log (level `logLevel`, default warn). */
  logFile: string;
  /** The instance's private temp dir, removed by stop(). */
  rootDir: string;
  tokenServer?: TokenServer;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  /** Users and passwords; default one user "kiln" with a random password. */
  users?: Record<string, string>;
  /** token: what anonymous requests may do (default pull everywhere). */
  anonymous?: 'pull' | 'none';
  /** token: per-user permissions (default everything). */
  permissions?: Record<string, Permissions>;
  /** token: signing algorithm (default RS256). */
  tokenAlgorithm?: TokenAlgorithm;
  /** token: lifetime of issued tokens in seconds (default 300). */
  tokenExpiresIn?: number;
  /** Level of the registry's log in `logFile`; `info` shows every request. */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** token: serve registry and token server over HTTPS (default plain HTTP). */
  tls?: boolean;
  /** token: decide minted credentials (cloud tokens, OIDC JWTs) instead of `users`; see TokenServerOptions. */
  authenticate?: TokenServerOptions['authenticate'];
  /** token: accept refresh tokens minted elsewhere; see TokenServerOptions. */
  verifyRefreshToken?: TokenServerOptions['verifyRefreshToken'];
  /** token: extra endpoints on the token server (ACR's /oauth2/exchange); see TokenServerOptions. */
  routes?: TokenServerOptions['routes'];
}

const SERVICE = 'kiln-lab-registry';
const ISSUER = 'kiln-lab-token-issuer';
const STARTUP_TIMEOUT_MS = 15_000;

interface Running {
  child: ChildProcess;
  rootDir: string;
}

const running = new Set<Running>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible here; children also get SIGKILL from setpriv's pdeathsig.
  process.once('exit', () => {
    for (const r of running) {
      r.child.kill('SIGKILL');
      removeTreeSync(r.rootDir);
    }
  });
}

/** A free port on 127.0.0.1: bound, noted, closed (nothing listens on it afterwards). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function registryEnv(): NodeJS.ProcessEnv {
  // Any REGISTRY_* variable would override a key of our config.
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
}

/** Status of GET /v2/, or undefined while nothing listens. */
function probe(url: string, ca?: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(
      `${url}/v2/`,
      { method: 'GET', timeout: 2000, ...(ca ? { ca } : {}) },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function htpasswdFile(path: string, users: Record<string, string>): Promise<void> {
  const lines: string[] = [];
  for (const [user, password] of Object.entries(users)) {
    // distribution 2.8 accepts only bcrypt entries. -i reads the password from stdin, off the command line.
    const { stdout } = await run('htpasswd', ['-niB', user], { input: `${password}\n` });
    lines.push(stdout.trim());
  }
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

async function dockerAuthFile(path: string, host: string, username: string, password: string): Promise<void> {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  await writeFile(path, `${JSON.stringify({ auths: { [host]: { auth } } }, null, 2)}\n`, { mode: 0o600 });
}

async function logTail(logFile: string): Promise<string> {
  return (await readFile(logFile, 'utf8').catch(() => '')).trim().slice(-4000);
}

async function spawnRegistry(configPath: string, logFile: string, url: string, ca: string | undefined): Promise<ChildProcess> {
  const log = await open(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'docker-registry', 'serve', configPath], {
      env: registryEnv(),
      stdio: ['ignore', log.fd, log.fd],
    });
  } finally {
    await log.close();
  }
  let alive = true;
  child.once('exit', () => {
    alive = false;
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!alive) throw new Error(`docker-registry exited during startup: ${await logTail(logFile)}`);
    const status = await probe(url, ca);
    if (status === 200 || status === 401) return child;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry did not answer ${url}/v2/ within ${STARTUP_TIMEOUT_MS} ms: ${await logTail(logFile)}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

export async function startRegistry(variant: RegistryVariant = 'plain', opts: StartRegistryOptions = {}): Promise<LabRegistry> {
  installExitHook();
  const rootDir = await labTempDir(`registry-${variant}`);
  let tokenServer: TokenServer | undefined;
  try {
    const storageDir = join(rootDir, 'storage');
    await mkdir(storageDir);
    const users = opts.users ?? { kiln: randomBytes(12).toString('hex') };
    const [username, password] = Object.entries(users)[0] ?? [];
    const useTls = variant === 'tls-basic' || (variant === 'token' && opts.tls === true);
    const tls = useTls || variant === 'token' ? await labTls() : undefined;
    const caPem = useTls && tls ? await readFile(tls.caFile, 'utf8') : undefined;

    const http: Record<string, unknown> = { secret: randomBytes(16).toString('hex'), headers: { 'X-Content-Type-Options': ['nosniff'] } };
    if (useTls && tls) http.tls = { certificate: tls.server.certFile, key: tls.server.keyFile };
    const config: Record<string, unknown> = {
      version: 0.1,
      log: { level: opts.logLevel ?? 'warn', formatter: 'text', accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: storageDir },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http,
      health: { storagedriver: { enabled: false } },
    };
    if (variant === 'tls-basic') {
      const htpasswd = join(rootDir, 'htpasswd');
      await htpasswdFile(htpasswd, users);
      config.auth = { htpasswd: { realm: 'kiln-lab', path: htpasswd } };
    }
    if (variant === 'token' && tls) {
      const algorithm = opts.tokenAlgorithm ?? 'RS256';
      const signer = algorithm === 'ES256' ? tls.tokenEc : tls.tokenRsa;
      tokenServer = new TokenServer({
        service: SERVICE,
        issuer: ISSUER,
        users,
        anonymous: opts.anonymous,
        permissions: opts.permissions,
        algorithm,
        signingKeyFile: signer.keyFile,
        signingCertFile: signer.certFile,
        expiresInSeconds: opts.tokenExpiresIn,
        tls: useTls ? tls.server : undefined,
        authenticate: opts.authenticate,
        verifyRefreshToken: opts.verifyRefreshToken,
        routes: opts.routes,
      });
      await tokenServer.start();
      // The registry checks each token's x5c chain against the lab CA.
      config.auth = { token: { realm: tokenServer.realm, service: SERVICE, issuer: ISSUER, rootcertbundle: tls.caFile } };
    }

    const configPath = join(rootDir, 'config.yml');
    const logFile = join(rootDir, 'registry.log');
    let child: ChildProcess | undefined;
    let host = '';
    let url = '';
    // A port found free can be taken before the registry binds it: try a few.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      host = `127.0.0.1:${port}`;
      url = `${useTls ? 'https' : 'http'}://${host}`;
      http.addr = host;
      // JSON is YAML, and needs no library.
      await writeFile(configPath, JSON.stringify(config, null, 2));
      try {
        child = await spawnRegistry(configPath, logFile, url, caPem);
        break;
      } catch (err) {
        if (attempt >= 2 || !String(err).includes('address already in use')) throw err;
      }
    }
    const entry: Running = { child, rootDir };
    running.add(entry);

    let authFile: string | undefined;
    if (variant !== 'plain' && username !== undefined && password !== undefined) {
      authFile = join(rootDir, 'auth.json');
      await dockerAuthFile(authFile, host, username, password);
    }

    let stopped: Promise<void> | undefined;
    const server = tokenServer;
    return {
      variant,
      host,
      url,
      caFile: useTls ? tls?.caFile : undefined,
      username: variant === 'plain' ? undefined : username,
      password: variant === 'plain' ? undefined : password,
      authFile,
      storageDir,
      logFile,
      rootDir,
      tokenServer: server,
      stop(): Promise<void> {
        stopped ??= (async () => {
          await stopChild(entry.child);
          await server?.stop();
          running.delete(entry);
          await removeTree(rootDir);
        })();
        return stopped;
      },
    };
  } catch (err) {
    await tokenServer?.stop();
    await removeTree(rootDir);
    throw err;
  }
}
