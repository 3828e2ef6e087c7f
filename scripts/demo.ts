// The README's main job on an embedded default: start a lab registry on 127.0.0.1, make a busybox
// base image offline, build examples/hello with the bundled kiln CLI, push it, and show the result.
//   npm run demo
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry } from '../test/support/registry.ts';
import { pushBaseImages } from '../test/support/base-images.ts';
import { run } from '../test/support/exec.ts';
import { podmanRun } from '../test/support/podman.ts';
import { labDir, repoRoot } from '../test/support/lab-dir.ts';

function kiln(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist/kiln.js'), ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const out = labDir('demo');
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const reg = await startRegistry('plain');
try {
  const { busybox } = await pushBaseImages(reg, ['busybox']);
  const destination = `${reg.host}/demo/hello:latest`;
  const digestFile = join(out, 'digest');
  const layout = join(out, 'hello-oci');
  console.log(`lab registry at ${reg.host}; base image ${busybox}\n`);
  const code = await kiln([
    'build',
    '--context', join(repoRoot, 'examples/hello'),
    '--build-arg', `BASE=${busybox}`,
    '--destination', destination,
    '--insecure-registry', reg.host,
    '--digest-file', digestFile,
    '--oci-layout-path', layout,
  ]);
  if (code !== 0) process.exit(code);

  const inspect = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${destination}`]);
  const info = JSON.parse(inspect.stdout) as { Digest: string; Layers: string[] };
  // Show that the image does what its CMD says: unpack it with umoci and run the CMD as its USER.
  const bundle = join(out, 'bundle');
  await run('umoci', ['unpack', '--image', `${layout}:latest`, bundle]);
  const hello = await run('chroot', ['--userspec=65534:65534', join(bundle, 'rootfs'), '/usr/local/bin/hello']);
  // And as a container: podman pulls it from the registry and runs its CMD.
  const podman = await podmanRun(reg, destination);
  console.log(`
pushed ${destination}
  digest (skopeo inspect): ${info.Digest}, ${info.Layers.length} layers
  the image's CMD, run from its umoci-unpacked rootfs: ${hello.stdout.trim()}
  podman run ${destination}: ${podman.stdout.trim()}

Inspect it yourself (the demo registry stops when this script ends; the OCI layout stays):
  skopeo inspect oci:${layout}:latest
  umoci unpack --image ${layout}:latest /tmp/hello-bundle
  node dist/kiln.js config oci-layout:${layout}:latest`);
} finally {
  await reg.stop();
}
