// Bundles the CLI into dist/ (committed; CI checks a rebuild leaves dist/ unchanged).
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  // A worktree whose node_modules is a link to another checkout's must bundle the same bytes as a
  // clean checkout: the chunk names hash the module paths, so keep them as seen from here.
  preserveSymlinks: true,
  // Some bundled CommonJS dependencies call require(); give ESM output a require of its own.
  banner: { js: "import { createRequire as __kilnCreateRequire } from 'node:module'; const require = __kilnCreateRequire(import.meta.url);" },
};

const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
// The command-line entries are split: what they import on demand (the cloud SDKs of src/auth and
// the s3:// context) lands in dist/cli-chunks/ and is parsed only by a run that needs it, so a
// plain build or `kiln version` does not pay for loading them. One build per entry (each has its
// own KILN_ENTRY); chunk names are content hashes, so the entries share the chunks they have in common.
rmSync('dist/cli-chunks', { recursive: true, force: true });
for (const [entry, name] of [['src/cli/main.ts', 'kiln'], ['src/cli/executor.ts', 'executor'], ['src/cli/credential-helper.ts', 'docker-credential-kiln']]) {
  const { metafile } = await build({
    ...common,
    entryPoints: { [name]: entry },
    outdir: 'dist',
    splitting: true,
    chunkNames: 'cli-chunks/[name]-[hash]',
    metafile: true,
    define: { KILN_ENTRY: JSON.stringify(name), KILN_VERSION: JSON.stringify(version) },
  });
  // kiln's own modules find files beside the bundle through import.meta.url (the writer thread's
  // file, plugin.yml), which in a chunk would point into dist/cli-chunks/: they must stay in the entry.
  for (const [out, { inputs }] of Object.entries(metafile.outputs)) {
    const own = Object.keys(inputs).filter((input) => input.startsWith('src/'));
    if (out !== `dist/${name}.js` && own.length > 0) throw new Error(`build: ${out} holds kiln's own modules (${own.join(', ')}); import them statically`);
  }
  const file = `dist/${name}.js`;
  writeFileSync(file, '#!/usr/bin/env node\n' + readFileSync(file, 'utf8'));
  chmodSync(file, 0o755);
}
// The GitHub Action's main and post step (action.yml); it runs dist/executor.js beside it. Split,
// so what it imports on demand (cloud SDKs, @actions/cache) sits in dist/action-chunks/ and a
// plain build's step does not parse it: the step's start-up is parse time of the entry file.
rmSync('dist/action-chunks', { recursive: true, force: true });
await build({ ...common, entryPoints: ['src/ci/github/action.ts'], outdir: 'dist', splitting: true, chunkNames: 'action-chunks/[name]-[hash]' });
// The extractor's writer threads load this file beside the bundle (src/tar/file-writer-pool.ts).
await build({ ...common, entryPoints: ['src/tar/file-writer-worker.ts'], outfile: 'dist/file-writer-worker.js' });
