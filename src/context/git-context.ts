// git build contexts, in kaniko's form and BuildKit's:
//   git://HOST/REPO.git[#REF[#COMMIT]]   kaniko: fetched over https (GIT_PULL_METHOD=http for
//                                        plain http), REF a ref name or a commit id, COMMIT the
//                                        commit to check out after fetching REF
//   https://HOST/REPO.git[#REF[:SUBDIR]] BuildKit/docker: any http(s) URL whose path ends in .git,
//   ssh://…                              and ssh (keys from the ssh agent/config, never a prompt)
// `:SUBDIR` narrows either form (a ref cannot contain ':'). Credentials are kaniko's:
// GIT_USERNAME/GIT_PASSWORD, or GIT_TOKEN (sent as the user name with no password, as kaniko
// does), or user:password in the URL. `--git` takes kaniko's options: branch= (a branch or tag
// that replaces REF), single-branch= (kiln always fetches the one ref it checks out, so this
// changes nothing), recurse-submodules= (default false, as kaniko), insecure-skip-tls=.
// The `.git` directory is left out of the context, as BuildKit does.
import { BuilderError } from '../util/errors.ts';
import { checkoutGit, GitError, type GitAuth, type GitCheckoutSpec } from './git.ts';

export interface GitContext {
  checkout: GitCheckoutSpec;
  /** `#ref:SUBDIR`: the directory of the repository that is the context. */
  subdir?: string;
  /** Where the credentials came from, for the message when they are refused. */
  credentials?: string;
}

const HASH = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** Reads a git context; `where` is how errors name it (`--context=…` without a password). */
export function parseGitContext(value: string, gitFlag: string, where: string, env: NodeJS.ProcessEnv = process.env): GitContext {
  const hash = value.indexOf('#');
  const base = hash < 0 ? value : value.slice(0, hash);
  const [refPart = '', commitPart, ...extra] = hash < 0 ? [] : value.slice(hash + 1).split('#');
  if (extra.length > 0) throw new BuilderError('CONTEXT_INVALID', `${where}: a git context takes at most #REF#COMMIT`);
  const colon = refPart.indexOf(':');
  let ref: string | undefined = (colon < 0 ? refPart : refPart.slice(0, colon)) || undefined;
  const subdir = colon < 0 ? undefined : refPart.slice(colon + 1) || undefined;
  let commit = commitPart || undefined;
  if (commit !== undefined && !/^[0-9a-f]{7,64}$/.test(commit)) {
    throw new BuilderError('CONTEXT_INVALID', `${where}: ${commit} after the second # is not a commit id`);
  }
  if (ref !== undefined && HASH.test(ref) && commit === undefined) {
    commit = ref;
    ref = undefined;
  }
  const options = parseGitFlag(gitFlag);
  if (options.branch) ref = options.branch;
  let remote = base;
  if (/^git:\/\//i.test(base)) {
    // kaniko's git:// names a repository, not git's own protocol: it is fetched over https.
    const method = env.GIT_PULL_METHOD === 'http' ? 'http' : 'https';
    remote = `${method}://${base.slice('git://'.length)}`;
  }
  const { auth, credentials } = gitCredentials(env);
  return {
    checkout: {
      remote,
      ...(ref !== undefined ? { ref } : {}),
      ...(commit !== undefined ? { commit } : {}),
      ...(auth ? { auth } : {}),
      submodules: options.recurseSubmodules,
      keepGitDir: false,
      insecureSkipTls: options.insecureSkipTls,
    },
    ...(subdir !== undefined ? { subdir } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

interface GitFlag {
  branch?: string;
  recurseSubmodules: boolean;
  insecureSkipTls: boolean;
}

/** kaniko's `--git branch=…,single-branch=…,recurse-submodules=…,insecure-skip-tls=…`. */
export function parseGitFlag(value: string): GitFlag {
  const out: GitFlag = { recurseSubmodules: false, insecureSkipTls: false };
  for (const item of value.split(',').filter((s) => s.trim() !== '')) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const raw = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (key === 'branch') {
      if (raw !== '') out.branch = raw;
      continue;
    }
    if (!['single-branch', 'recurse-submodules', 'insecure-skip-tls'].includes(key)) {
      throw new BuilderError('USAGE', `--git=${value}: unknown option ${key} (branch, single-branch, recurse-submodules, insecure-skip-tls)`);
    }
    if (raw !== 'true' && raw !== 'false') throw new BuilderError('USAGE', `--git=${value}: ${key} must be true or false`);
    if (key === 'recurse-submodules') out.recurseSubmodules = raw === 'true';
    if (key === 'insecure-skip-tls') out.insecureSkipTls = raw === 'true';
  }
  return out;
}

function gitCredentials(env: NodeJS.ProcessEnv): { auth?: GitAuth; credentials?: string } {
  if (env.GIT_TOKEN) return { auth: { username: env.GIT_TOKEN, password: '' }, credentials: 'GIT_TOKEN' };
  if (env.GIT_USERNAME || env.GIT_PASSWORD) {
    return { auth: { username: env.GIT_USERNAME ?? '', password: env.GIT_PASSWORD ?? '' }, credentials: 'GIT_USERNAME/GIT_PASSWORD' };
  }
  return {};
}

/** Checks the context out into the empty directory `root`; errors are one line naming `where`. */
export async function fetchGitContext(context: GitContext, root: string, where: string): Promise<{ bytes: number; commit: string }> {
  const { checkout } = context;
  try {
    return await checkoutGit(checkout, root);
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    throw gitContextFailure(err, context, where);
  }
}

function gitContextFailure(err: GitError, context: GitContext, where: string): BuilderError {
  const { remote, ref, commit } = context.checkout;
  const host = /^[a-z]+:\/\//i.test(remote) ? new URL(remote).host : remote;
  const opts = { cause: err };
  const fromUrl = /^[a-z]+:\/\/[^/@]*@/i.test(remote);
  const credentials = context.credentials ?? (fromUrl ? 'the URL' : undefined);
  switch (err.kind) {
    case 'auth':
      return credentials
        ? new BuilderError('CREDENTIALS', `${where}: ${host} refused the git credentials from ${credentials}`, opts)
        : new BuilderError('CREDENTIALS', `${where}: ${host} wants git credentials: set GIT_USERNAME and GIT_PASSWORD, or GIT_TOKEN`, opts);
    case 'ref': {
      const wanted = [ref, commit].filter(Boolean).join(' and commit ') || 'HEAD';
      return new BuilderError('CONTEXT_NOT_FOUND', `${where}: ${host} has no ${wanted} in the repository (${err.message})`, opts);
    }
    case 'repository':
      return new BuilderError('CONTEXT_NOT_FOUND', `${where}: no git repository there on ${host} (${err.message})`, opts);
    case 'unreachable':
      return new BuilderError('CONTEXT_NOT_FOUND', `${where}: cannot reach ${host} (${err.message})`, opts);
    default:
      return new BuilderError('CONTEXT_INVALID', `${where}: ${err.message}`, opts);
  }
}
