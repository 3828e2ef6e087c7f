// A real git smart-HTTP server for tests: `git http-backend` run as a CGI per request behind a
// small Node HTTP server on 127.0.0.1, with basic auth that answers 401 to a wrong or missing
// user/password (or token, sent as the user name with no password, as kaniko sends GIT_TOKEN).
// Every repository under `root` is served (GIT_HTTP_EXPORT_ALL); `requests` records what came in.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitServerOptions {
  /** The directory holding bare repositories (`NAME.git`). */
  root: string;
  /** Accepted basic-auth pairs; a token is a user with password ''. None: no auth. */
  users?: Record<string, string>;
}

export interface GitServer {
  /** "127.0.0.1:PORT" */
  host: string;
  /** Method, path and the user (or "-") of every request. */
  requests: string[];
  close(): Promise<void>;
}

export async function startGitServer(opts: GitServerOptions): Promise<GitServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const user = authorized(req, opts.users);
    requests.push(`${req.method} ${req.url} ${user ?? '-'}`);
    if (user === undefined) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('authentication required\n');
      return;
    }
    backend(req, res, opts.root, user);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The user a request authenticates as ('' with no users configured), or undefined when refused. */
function authorized(req: IncomingMessage, users: Record<string, string> | undefined): string | undefined {
  if (!users) return '';
  const m = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const pair = Buffer.from(m[1], 'base64').toString();
  const colon = pair.indexOf(':');
  const [user, password] = colon < 0 ? [pair, ''] : [pair.slice(0, colon), pair.slice(colon + 1)];
  return Object.hasOwn(users, user) && users[user] === password ? user : undefined;
}

/** Runs `git http-backend` as RFC 3875 asks: request meta-variables in, a CGI response out. */
function backend(req: IncomingMessage, res: ServerResponse, root: string, user: string): void {
  const url = new URL(req.url ?? '/', 'http://git');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: req.method,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REMOTE_USER: user,
    ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
    // git sends gzip-compressed request bodies and protocol v2 in a header; the backend reads both from the environment.
    ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
    ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
  };
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('close', (code) => {
    if (!headersDone) res.writeHead(500).end(`git http-backend exited ${code}: ${stderr}`);
    else res.end();
  });
}
