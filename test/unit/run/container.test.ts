import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectContainer } from '../../../src/run/container.ts';

// A made-up `/` with just the files a probe reads.
async function fakeRoot(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-ctr-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

const plainCgroup = '0::/\n';
const plainMounts = '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n';

const cases: [string, Record<string, string>, NodeJS.ProcessEnv, RegExp | undefined][] = [
  ['a plain machine', { 'proc/1/cgroup': plainCgroup, 'proc/self/mountinfo': plainMounts }, {}, undefined],
  ['docker', { '.dockerenv': '' }, {}, /\/\.dockerenv/],
  ['podman', { 'run/.containerenv': '' }, {}, /\/run\/\.containerenv/],
  ['systemd-nspawn style', {}, { container: 'podman' }, /container=podman/],
  ['kubernetes', {}, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, /Kubernetes/],
  ['cgroup v1 docker', { 'proc/1/cgroup': '12:memory:/docker/0123abcd\n' }, {}, /proc\/1\/cgroup mentions \/docker\//],
  ['cgroup of a pod', { 'proc/1/cgroup': '0::/kubepods/besteffort/pod1\n' }, {}, /kubepods/],
  [
    'mountinfo of a docker container on cgroup v2',
    { 'proc/1/cgroup': plainCgroup, 'proc/self/mountinfo': '600 590 254:0 /var/lib/docker/containers/abc/hostname /etc/hostname rw - ext4 /dev/vda rw\n' },
    {},
    /mountinfo mentions \/docker\//,
  ],
];

for (const [name, files, env, evidence] of cases) {
  test(`container detection: ${name}`, async () => {
    const root = await fakeRoot(files);
    try {
      const info = await detectContainer({ root, env });
      assert.equal(info.inContainer, evidence !== undefined);
      if (evidence) assert.match(info.evidence ?? '', evidence);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
}
