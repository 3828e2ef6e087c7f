// `ADD <git url>`: which sources are git repositories (BuildKit's rule: git://, ssh://,
// user@host:path, and http(s) URLs whose path ends in .git), the `#ref[:subdir]` fragment, and
// a shallow checkout made with the git binary. The `.git` directory is kept only when asked
// (`--keep-git-dir` or `?keep-git-dir=true`).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BuilderError } from '../../util/errors.ts';
import { displayUrl } from '../../util/display-url.ts';

const run = promisify(execFile);

export interface GitRef {
  remote: string;
  ref?: string;
  subdir?: string;
  keepGitDir?: boolean;
}

const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)/;

/** The repository a source names, or undefined when it is not a git source. */
export function parseGitRef(src: string): GitRef | undefined {
  const hash = src.indexOf('#');
  const base = hash < 0 ? src : src.slice(0, hash);
  const fragment = hash < 0 ? '' : src.slice(hash + 1);
  let remote = base;
  let keepGitDir: boolean | undefined;
  let queryRef: string | undefined;
  let querySubdir: string | undefined;
  const isUrl = /^(git|ssh|https?):\/\//i.test(base);
  if (isUrl) {
    const u = new URL(base);
    if (/^https?:$/i.test(u.protocol) && !u.pathname.endsWith('.git')) return undefined;
    if (u.search) {
      keepGitDir = parseBool(u.searchParams.get('keep-git-dir'));
      queryRef = u.searchParams.get('ref') ?? u.searchParams.get('tag') ?? u.searchParams.get('branch') ?? undefined;
      querySubdir = u.searchParams.get('subdir') ?? undefined;
      u.search = '';
      remote = u.toString();
    }
  } else if (!SCP_LIKE.test(base)) {
    return undefined;
  }
  const [fragRef, fragSubdir] = fragment === '' ? [] : splitOnce(fragment, ':');
  return {
    remote,
    ref: fragRef || queryRef || undefined,
    subdir: fragSubdir || querySubdir || undefined,
    keepGitDir,
  };
}

function parseBool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  return v === '' || v === '1' || v.toLowerCase() === 'true';
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/**
 * Checks out `ref` of the repository into the empty directory `dir`; `commit` (ADD --checksum
 * for git) must then be a prefix of the checked-out commit id.
 */
export async function checkoutGit(git: GitRef, dir: string, keepGitDir: boolean, where: string, commit?: string): Promise<void> {
  const shown = displayUrl(git.remote);
  // Never prompt: a build has no one to answer.
  const env = { GIT_SSH_COMMAND: 'ssh -o BatchMode=yes', ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };
  const g = async (...args: string[]): Promise<void> => {
    try {
      // umask 022 so checked-out modes (0644/0755) do not depend on ours.
      await run('sh', ['-c', 'umask 022 && exec git "$@"', 'git', '-C', dir, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
      const line = stderr.split('\n').filter((l) => l.trim() !== '').pop() ?? 'failed';
      throw new BuilderError('BUILD_FAILED', `${where} ${shown}: git ${args[0]} failed: ${line}`, { cause: err });
    }
  };
  await g('init', '-q');
  await g('remote', 'add', 'origin', git.remote);
  const ref = git.ref ?? 'HEAD';
  // Shallow first; the dumb HTTP protocol cannot do shallow, and servers that refuse to send a
  // commit by id still send it with the branches and tags.
  const attempts: string[][][] = [
    [['fetch', '-q', '--depth=1', '--no-tags', 'origin', ref], ['checkout', '-q', '--detach', 'FETCH_HEAD']],
    [['fetch', '-q', '--no-tags', 'origin', ref], ['checkout', '-q', '--detach', 'FETCH_HEAD']],
  ];
  if (/^[0-9a-f]{7,64}$/.test(ref)) {
    attempts.push([['fetch', '-q', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'], ['checkout', '-q', '--detach', ref]]);
  }
  let failure: unknown;
  for (const steps of attempts) {
    try {
      for (const step of steps) await g(...step);
      failure = undefined;
      break;
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
  if (commit !== undefined) {
    const { stdout } = await run('git', ['-C', dir, 'rev-parse', 'HEAD'], { env });
    const head = stdout.trim();
    if (!head.startsWith(commit)) {
      throw new BuilderError('DIGEST_MISMATCH', `${where} ${shown}: checksum mismatch: expected commit ${commit}, got ${head}`);
    }
  }
  if (existsSync(`${dir}/.gitmodules`)) await g('submodule', 'update', '-q', '--init', '--recursive', '--depth=1');
  if (!keepGitDir) await rm(`${dir}/.git`, { recursive: true, force: true });
}
