// What COPY and ADD need from a build context's .dockerignore: whether a path is hidden, and
// whether an ignored directory can be skipped whole (no `!` exception can re-include anything
// inside it). Paths are relative to the context root, slash-separated, without a leading slash.

export interface IgnoreFilter {
  ignored(relPath: string, isDir: boolean): boolean;
  canSkipDir(relDir: string): boolean;
}

/** The filter of a source with no .dockerignore (another stage, an image, a git checkout). */
export const NO_IGNORE: IgnoreFilter = {
  ignored: () => false,
  canSkipDir: () => true,
};
