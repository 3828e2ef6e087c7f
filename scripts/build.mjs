// Bundles the CLI into dist/ (committed; CI checks a rebuild leaves dist/ unchanged).
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  // Some bundled CommonJS dependencies call require(); give ESM output a require of its own.
  banner: { js: "import { createRequire as __kilnCreateRequire } from 'node:module'; const require = __kilnCreateRequire(import.meta.url);" },
};

const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
for (const [entry, name] of [['src/cli/main.ts', 'kiln'], ['src/cli/executor.ts', 'executor'], ['src/cli/credential-helper.ts', 'docker-credential-kiln']]) {
  await build({
    ...common,
    entryPoints: [entry],
    outfile: `dist/${name}.js`,
    banner: { js: '#!/usr/bin/env node\n' + common.banner.js },
    define: { KILN_ENTRY: JSON.stringify(name), KILN_VERSION: JSON.stringify(version) },
  });
  chmodSync(`dist/${name}.js`, 0o755);
}
// The GitHub Action's main and post step (action.yml); it runs dist/executor.js beside it. Split,
// so what it imports on demand (cloud SDKs, @actions/cache) sits in dist/action-chunks/ and a
// plain build's step does not parse it: the step's start-up is parse time of the entry file.
rmSync('dist/action-chunks', { recursive: true, force: true });
await build({ ...common, entryPoints: ['src/ci/github/action.ts'], outdir: 'dist', splitting: true, chunkNames: 'action-chunks/[name]-[hash]' });
// The extractor's writer threads load this file beside the bundle (src/tar/file-writer-pool.ts).
await build({ ...common, entryPoints: ['src/tar/file-writer-worker.ts'], outfile: 'dist/file-writer-worker.js' });
