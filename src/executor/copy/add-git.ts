// `ADD <git url>`: which sources are git repositories (BuildKit's rule: git://, ssh://,
// user@host:path, and http(s) URLs whose path ends in .git) and the `#ref[:subdir]` fragment;
// the checkout is context/git.ts, shared with git build contexts. The `.git` directory is kept
// only when asked (`--keep-git-dir` or `?keep-git-dir=true`).
import { checkoutGit as checkoutRepository, GitError } from '../../context/git.ts';
import { BuilderError } from '../../util/errors.ts';
import { displayUrl } from '../../util/display-url.ts';

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
 * Checks out `ref` of the repository into the empty directory `dir` (submodules too, as
 * BuildKit does); `commit` (ADD --checksum for git) must then be a prefix of the checked-out
 * commit id.
 */
export async function checkoutGit(git: GitRef, dir: string, keepGitDir: boolean, where: string, commit?: string): Promise<void> {
  const shown = displayUrl(git.remote);
  let head: string;
  try {
    ({ commit: head } = await checkoutRepository({ remote: git.remote, ref: git.ref, submodules: true, keepGitDir }, dir));
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    throw new BuilderError(err.kind === 'auth' ? 'CREDENTIALS' : 'BUILD_FAILED', `${where} ${shown}: ${err.message}`, { cause: err });
  }
  if (commit !== undefined && !head.startsWith(commit)) {
    throw new BuilderError('DIGEST_MISMATCH', `${where} ${shown}: checksum mismatch: expected commit ${commit}, got ${head}`);
  }
}
