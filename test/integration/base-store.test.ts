// --base-store: a base is extracted once, later builds mount it as the overlay lower dir of their
// stages, and the image is the same as without the store; the stored tree is never written, and
// concurrent first builds leave one whole entry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../support/exec.ts';
import { kiln, type KilnResult } from '../support/kiln-cli.ts';
import { openBuildLab, type BuildLab } from '../support/build-lab.ts';
import { overlaySupported } from '../../src/snapshot/overlay.ts';

let lab: BuildLab | undefined;
const overlayOk = await overlaySupported(process.env.KILN_WORKDIR || '/tmp');

before(async () => {
  lab = await openBuildLab('kiln-base-store-test-');
});
after(() => lab?.close());

// A RUN that adds, changes and deletes base files, hard-links, recreates a directory (overlay's
// opaque dir) and puts a file where a directory was, then a stage built FROM the first that
// checks the tree the RUN left on the store, and a COPY --from it: every way a stage's tree is
// read while it sits on the store.
const DOCKERFILE = `FROM BASE_IMAGE AS first
RUN echo made > /made && ln /made /made.link && echo changed > /etc/hostname.kiln && rm /bin/true && mkdir -p /var/x && touch /var/x/y && \\
    rm -rf /root && mkdir -m 700 /root && touch /root/fresh && rm -rf /usr/sbin && echo file > /usr/sbin
COPY file.txt /copied.txt

FROM first AS second
RUN cat /made /copied.txt > /both && test "$(stat -c %h /made)" = 2 && test -f /root/fresh && test -f /usr/sbin && test ! -e /bin/true

FROM BASE_IMAGE
COPY --from=second /both /from-second
RUN test ! -e /made && test -e /bin/true && cat /from-second
`;

async function context(name: string): Promise<string> {
  const dir = join(lab!.work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), DOCKERFILE.replaceAll('BASE_IMAGE', lab!.busybox));
  await writeFile(join(dir, 'file.txt'), 'from the context\n');
  return dir;
}

async function build(dir: string, tag: string, store?: string): Promise<{ res: KilnResult; digest: string }> {
  const digestFile = join(dir, `${tag}.digest`);
  const res = await kiln([
    'build', '--context', dir, '--destination', `${lab!.reg.host}/store/app:${tag}`, '--insecure-registry', lab!.reg.host,
    '--reproducible', '--digest-file', digestFile, ...(store ? ['--base-store', store] : []),
  ]);
  assert.equal(res.code, 0, res.stderr);
  return { res, digest: (await readFile(digestFile, 'utf8')).trim() };
}

/** Mounts still using `path`: under it, or an overlay with a lower dir in it. */
async function mountsUsing(path: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').filter((l) => l.split(' ')[4]?.startsWith(path) || l.includes(`lowerdir=${path}`));
}

/** Every path of a tree with its type, mode, owner and size (`find -printf`), sorted. */
async function listing(dir: string): Promise<string> {
  const { stdout } = await run('find', [dir, '-printf', '%P %y %m %U:%G %s\n']);
  return stdout.split('\n').sort().join('\n');
}

describe('--base-store', { skip: !overlayOk && 'overlayfs does not mount here' }, () => {
  test('the first build stores the base, the second mounts it; both give the digest of a build without the store, and the stored tree is untouched', async () => {
    const dir = await context('sequential');
    const store = join(lab!.work, 'store-a');
    const plain = await build(dir, 'plain');
    const first = await build(dir, 'first', store);
    assert.match(first.res.stderr, /stored .* in the base store/);
    const entries = await readdir(store);
    assert.equal(entries.length, 1, entries.join(' '));
    const tree = join(store, entries[0]);
    const before = await listing(tree);
    const second = await build(dir, 'second', store);
    assert.match(second.res.stderr, /using .* from the base store/);
    assert.doesNotMatch(second.res.stderr, /stored .* in the base store/);
    assert.equal(first.digest, plain.digest);
    assert.equal(second.digest, plain.digest);
    assert.equal(await listing(tree), before, 'no build wrote into the stored tree');
    assert.deepEqual(await mountsUsing(lab!.work), [], 'nothing is left mounted');
  });

  test('two first builds at once: both succeed with the same digest, and the store holds one whole entry', async () => {
    const dir = await context('concurrent');
    const store = join(lab!.work, 'store-b');
    const [a, b] = await Promise.all([build(dir, 'a', store), build(dir, 'b', store)]);
    assert.equal(a.digest, b.digest);
    assert.deepEqual((await readdir(store)).filter((n) => !n.startsWith('.tmp-')).length, 1);
    assert.deepEqual((await readdir(store)).filter((n) => n.startsWith('.tmp-')), [], 'the loser removed its temp tree');
  });

  test('KILN_BASE_STORE names the store when the flag is absent; an unusable store path fails in one line naming it', async () => {
    const dir = await context('env');
    const store = join(lab!.work, 'store-env');
    const res = await kiln(['build', '--context', dir, '--no-push', '--insecure-registry', lab!.reg.host], { env: { ...process.env, KILN_BASE_STORE: store } });
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await readdir(store)).length, 1);
    const file = join(lab!.work, 'not-a-dir');
    await writeFile(file, '');
    const bad = await kiln(['build', '--context', dir, '--no-push', '--insecure-registry', lab!.reg.host, '--base-store', file]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, new RegExp(`base store ${file}: not a directory`));
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  });
});
