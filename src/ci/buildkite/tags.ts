// Tags and OCI labels from the build, docker/metadata-action's rules in Buildkite's variables:
// a branch push tags the branch, a pull request pr-N, a semver git tag X.Y.Z, X.Y and X, every
// build sha-<7>, and the pipeline's default branch (or a release tag) also `latest`.
import type { TagType } from './config.ts';

export const DEFAULT_TAG_TYPES: readonly TagType[] = ['branch', 'pr', 'semver', 'sha', 'latest'];

/** A registry tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; anything else becomes "-". */
export function sanitizeTag(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[.-]+/, '').slice(0, 128);
}

const SEMVER = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function semverTags(tag: string): { tags: string[]; release: boolean } {
  const m = SEMVER.exec(tag);
  if (!m) return { tags: [], release: false };
  const [, major, minor, patch, pre] = m;
  if (pre !== undefined) return { tags: [sanitizeTag(`${major}.${minor}.${patch}-${pre}`)], release: false };
  const tags = [`${major}.${minor}.${patch}`, `${major}.${minor}`];
  // metadata-action leaves out a bare "0": 0.x releases promise nothing across minors.
  if (major !== '0') tags.push(major);
  return { tags, release: true };
}

/** Tag names (without the repository) for this build, in metadata-action's order, no repeats. */
export function tagsFromBuild(env: NodeJS.ProcessEnv, types: readonly TagType[] = DEFAULT_TAG_TYPES): string[] {
  const want = new Set(types);
  const out: string[] = [];
  const gitTag = env.BUILDKITE_TAG ?? '';
  const branch = env.BUILDKITE_BRANCH ?? '';
  const pr = env.BUILDKITE_PULL_REQUEST ?? 'false';
  const isPr = pr !== '' && pr !== 'false';
  const semver = semverTags(gitTag);
  if (want.has('branch') && !gitTag && !isPr && branch) out.push(sanitizeTag(branch));
  if (want.has('pr') && isPr) out.push(`pr-${sanitizeTag(pr)}`);
  if (want.has('semver')) out.push(...semver.tags);
  if (want.has('sha') && env.BUILDKITE_COMMIT && /^[0-9a-f]{7,}$/i.test(env.BUILDKITE_COMMIT)) {
    out.push(`sha-${env.BUILDKITE_COMMIT.slice(0, 7).toLowerCase()}`);
  }
  const onDefault = !gitTag && !isPr && branch !== '' && branch === env.BUILDKITE_PIPELINE_DEFAULT_BRANCH;
  if (want.has('latest') && (onDefault || semver.release)) out.push('latest');
  return [...new Set(out.filter((t) => t !== ''))];
}

/** git@host:o/r.git and https://host/o/r.git as the https page the source label points at. */
export function sourceUrl(repo: string): string {
  const scp = /^[^@/]+@([^:/]+):(.+?)(?:\.git)?$/.exec(repo);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  const ssh = /^ssh:\/\/(?:[^@/]+@)?([^/:]+)(?::[0-9]+)?\/(.+?)(?:\.git)?$/.exec(repo);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
  return repo.replace(/\.git$/, '');
}

/** org.opencontainers.image.{source,revision,created}; `now` is passed in so results are checkable. */
export function ociLabels(env: NodeJS.ProcessEnv, now: Date): Record<string, string> {
  const labels: Record<string, string> = {};
  if (env.BUILDKITE_REPO) labels['org.opencontainers.image.source'] = sourceUrl(env.BUILDKITE_REPO);
  if (env.BUILDKITE_COMMIT && env.BUILDKITE_COMMIT !== 'HEAD') labels['org.opencontainers.image.revision'] = env.BUILDKITE_COMMIT;
  labels['org.opencontainers.image.created'] = now.toISOString();
  return labels;
}
