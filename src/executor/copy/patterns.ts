// The pattern language of `COPY --exclude` and of the include pattern behind `COPY --parents`
// is moby/patternmatcher's, the same as .dockerignore's: reuse that matcher over paths relative
// to the copied source, and report a bad pattern as a Dockerfile error.
import { DockerignoreMatcher } from '../../context/dockerignore.ts';
import { BuilderError, isBuilderError } from '../../util/errors.ts';

export type PathMatcher = (relPath: string) => boolean;

export function compilePatterns(patterns: string[], flag: string): PathMatcher {
  let matcher: DockerignoreMatcher;
  try {
    matcher = new DockerignoreMatcher(patterns, { source: flag });
  } catch (err) {
    if (isBuilderError(err)) throw new BuilderError('DOCKERFILE_PARSE', err.message, { cause: err });
    throw err;
  }
  return (relPath) => matcher.ignored(relPath, false);
}
