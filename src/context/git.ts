// A checkout of one revision of a git repository with the system `git` binary, shared by git
// build contexts (context/git-context.ts) and `ADD <git url>` (executor/copy/add-git.ts):
// shallow where the server allows it, credentials sent as an HTTP header that git reads from
// its environment (never from argv or the remote URL, which git prints and `ps` shows), and the
// same file modes whatever kiln's umask, so a checkout gives the same layer everywhere.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { registerSecret } from '../util/redact.ts';

const run = promisify(execFile);

export interface GitAuth {
  username: string;
  password: string;
}

export interface GitCheckoutSpec {
  /** The URL git fetches from; user:password in it is moved into `auth`. */
  remote: string;
  /** What to fetch: a ref (`refs/heads/x`, `refs/pull/1/head`), a branch or tag name, or a commit id; default HEAD. */
  ref?: string;
  /** A commit to check out after fetching `ref` (kaniko's `#ref#commit`). */
  commit?: string;
  /** Basic auth for an http(s) remote, sent only to the remote's scheme://host:port. */
  auth?: GitAuth;
  /** Check out submodules, recursively. */
  submodules: boolean;
  /** Keep the `.git` directory in the checkout. */
  keepGitDir: boolean;
  /** Skip TLS certificate verification (kaniko's `--git insecure-skip-tls=true`). */
  insecureSkipTls?: boolean;
}

export type GitFailureKind = 'auth' | 'ref' | 'repository' | 'unreachable' | 'other';

/** Why a checkout failed, for the caller to word as its own one-line error. */
export class GitError extends Error {
  constructor(
    readonly kind: GitFailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'GitError';
  }
}

export interface GitCheckout {
  /** The commit id checked out. */
  commit: string;
  /** Bytes of git objects fetched (the packs as they arrived). */
  bytes: number;
}

/** Checks out `spec` into the empty directory `dir`. */
export async function checkoutGit(spec: GitCheckoutSpec, dir: string): Promise<GitCheckout> {
  const { remote, auth } = splitCredentials(spec.remote, spec.auth);
  const env = gitEnv(remote, auth, spec.insecureSkipTls === true);
  const g = (...args: string[]): Promise<string> => git(dir, env, args);
  await g('init', '-q');
  await g('remote', 'add', 'origin', remote);
  const ref = spec.ref ?? 'HEAD';
  const target = spec.commit ?? 'FETCH_HEAD';
  // Shallow first (a commit id too: servers that allow it send just that commit); the dumb HTTP
  // protocol cannot do shallow, and servers that refuse to send a commit by id still send it
  // with its ref or with the branches and tags.
  const attempts: string[][][] = [];
  if (spec.commit !== undefined) attempts.push([['fetch', '-q', '--depth=1', '--no-tags', 'origin', spec.commit], ['checkout', '-q', '--detach', spec.commit]]);
  attempts.push(
    [['fetch', '-q', '--depth=1', '--no-tags', 'origin', ref], ['checkout', '-q', '--detach', target]],
    [['fetch', '-q', '--no-tags', 'origin', ref], ['checkout', '-q', '--detach', target]],
  );
  const byId = spec.commit ?? (/^[0-9a-f]{7,64}$/.test(ref) ? ref : undefined);
  if (byId !== undefined) {
    attempts.push([['fetch', '-q', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'], ['checkout', '-q', '--detach', byId]]);
  }
  let failure: GitError | undefined;
  for (const steps of attempts) {
    try {
      for (const step of steps) await g(...step);
      failure = undefined;
      break;
    } catch (err) {
      failure ??= err as GitError;
      // Nothing later can succeed where the server refused us or cannot be reached.
      if (failure.kind === 'auth' || failure.kind === 'unreachable' || failure.kind === 'repository') break;
    }
  }
  if (failure !== undefined) throw failure;
  const commit = (await g('rev-parse', 'HEAD')).trim();
  if (spec.submodules && existsSync(join(dir, '.gitmodules'))) await g('submodule', 'update', '-q', '--init', '--recursive', '--depth=1');
  const bytes = await treeSize(join(dir, '.git', 'objects'));
  await finishTree(dir, spec.keepGitDir);
  return { commit, bytes };
}

/** Moves user:password out of an http(s) URL: git would print it in its messages. */
function splitCredentials(url: string, auth: GitAuth | undefined): { remote: string; auth?: GitAuth } {
  if (!/^https?:\/\//i.test(url)) return { remote: url, auth };
  const u = new URL(url);
  if (!u.username && !u.password) return { remote: url, auth };
  const fromUrl = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = '';
  u.password = '';
  return { remote: u.toString(), auth: auth ?? fromUrl };
}

function gitEnv(remote: string, auth: GitAuth | undefined, insecure: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    // Never prompt: a build has no one to answer, so a refused fetch fails at once.
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'true',
  };
  if (insecure) env.GIT_SSL_NO_VERIFY = 'true';
  if (auth && /^https?:\/\//i.test(remote)) {
    registerSecret(auth.password);
    registerSecret(auth.username);
    const basic = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
    registerSecret(basic);
    // Config from the environment (git >= 2.31), scoped to the remote's origin so a submodule
    // or a redirect elsewhere never sees it; appended to any GIT_CONFIG_* the user set.
    const n = Number(env.GIT_CONFIG_COUNT ?? 0) || 0;
    env[`GIT_CONFIG_KEY_${n}`] = `http.${new URL(remote).origin}/.extraHeader`;
    env[`GIT_CONFIG_VALUE_${n}`] = `Authorization: Basic ${basic}`;
    env.GIT_CONFIG_COUNT = String(n + 1);
  }
  return env;
}

async function git(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', ['-C', dir, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    const line = stderr.split('\n').filter((l) => l.trim() !== '').pop() ?? 'failed';
    throw new GitError(classify(stderr), `git ${args[0]} failed: ${line}`, { cause: err });
  }
}

function classify(stderr: string): GitFailureKind {
  if (/Authentication failed|could not read (Username|Password)|terminal prompts disabled|\b40[13]\b|Permission denied \(publickey/i.test(stderr)) return 'auth';
  if (/couldn't find remote ref|not our ref|unadvertised object|did not match any|reference is not a tree|unable to read tree|not a valid|pathspec .* did not match/i.test(stderr)) return 'ref';
  if (/repository .* not found|not exported|does not appear to be a git repository|\b404\b|not found/i.test(stderr)) return 'repository';
  if (/Could not resolve host|Failed to connect|Connection refused|unable to connect|timed out|Could not read from remote/i.test(stderr)) return 'unreachable';
  return 'other';
}

async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(path);
    else if (entry.isFile()) total += (await lstat(path)).size;
  }
  return total;
}

/**
 * git records only "executable or not" and writes 0666/0777 less the umask; fixing the modes to
 * 0644/0755 (what a checkout under umask 022 has) keeps layers and cache keys independent of the
 * umask kiln runs with. Without `keepGitDir`, submodules' `.git` files go too (they point into
 * the removed `.git`); a kept `.git` is left as git wrote it.
 */
async function finishTree(dir: string, keepGitDir: boolean): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.name === '.git') {
      if (!keepGitDir) await rm(path, { recursive: true, force: true });
    } else if (entry.isDirectory()) {
      await setMode(path, 0o755);
      await finishTree(path, keepGitDir);
    } else if (entry.isFile()) {
      const { mode } = await lstat(path);
      await setMode(path, mode & 0o100 ? 0o755 : 0o644, mode);
    }
  }
}

async function setMode(path: string, want: number, have?: number): Promise<void> {
  const current = have ?? (await lstat(path)).mode;
  if ((current & 0o7777) !== want) await chmod(path, want);
}
