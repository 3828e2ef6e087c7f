// git build contexts end to end through the real CLI, against a real `git http-backend` behind
// basic auth (test/support/git-server.ts) and the lab registry: kaniko's form (git:// fetched
// over http with GIT_PULL_METHOD=http, #REF and #REF#COMMIT, GIT_USERNAME/GIT_PASSWORD and
// GIT_TOKEN, --git branch=) and BuildKit's (http://….git#REF:SUBDIR). The same files as a local
// directory give the same digest; wrong credentials, a missing ref or repository fail in one
// line naming the host, and no secret reaches any output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../support/exec.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { kiln, type KilnResult } from '../support/kiln-cli.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { assertContextFailure, buildContext, builtDigest, CONTEXT_FILES, writeContext } from '../support/remote-context.ts';
import { labTempDir } from '../support/temp-dirs.ts';

const PASSWORD = 'hunter2-git-pass';
const TOKEN = 'tok-3f9a7c1e5b8d';
const FEATURE_NOTES = 'from the feature branch\n';
const MAIN_NOTES = 'second commit on main\n';

let work: string;
let server: GitServer;
let reg: LabRegistry;
let localDigest: string;
let commits: { first: string; feature: string; main: string };
const outputs: string[] = [];

/**
 * The fixture repository: `ctx/` holds the remote-context files (commit "first", tag v1), then
 * branch `feature` and main each change ctx/notes.txt; a README sits outside the subdirectory.
 */
async function makeRepository(root: string): Promise<typeof commits> {
  const src = join(work, 'repo-src');
  const git = async (...args: string[]): Promise<string> =>
    (await run('git', ['-C', src, '-c', 'user.name=kiln', '-c', 'user.email=kiln@test', ...args])).stdout.trim();
  await mkdir(src, { recursive: true });
  await git('init', '-q', '-b', 'main');
  for (const [path, text] of Object.entries(CONTEXT_FILES)) {
    await mkdir(join(src, 'ctx', path, '..'), { recursive: true });
    await writeFile(join(src, 'ctx', path), text);
  }
  await writeFile(join(src, 'README'), 'outside the context subdirectory\n');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'first');
  await git('tag', 'v1');
  const first = await git('rev-parse', 'HEAD');
  await git('checkout', '-q', '-b', 'feature');
  await writeFile(join(src, 'ctx', 'notes.txt'), FEATURE_NOTES);
  await git('commit', '-q', '-am', 'feature');
  const feature = await git('rev-parse', 'HEAD');
  await git('checkout', '-q', 'main');
  await writeFile(join(src, 'ctx', 'notes.txt'), MAIN_NOTES);
  await git('commit', '-q', '-am', 'second');
  const main = await git('rev-parse', 'HEAD');
  await run('git', ['clone', '-q', '--bare', src, join(root, 'repo.git')]);
  return { first, feature, main };
}

const gitEnv = (over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  GIT_PULL_METHOD: 'http',
  GIT_USERNAME: 'builder',
  GIT_PASSWORD: PASSWORD,
  ...over,
});

async function recorded(res: Promise<KilnResult>): Promise<KilnResult> {
  const done = await res;
  outputs.push(done.stdout + done.stderr);
  return done;
}

/** Pulls `ref` from the lab registry and unpacks it with skopeo and umoci: the image's files. */
async function unpacked(ref: string, name: string): Promise<string> {
  const layout = join(work, `pulled-${name}`);
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:1`]);
  const bundle = join(work, `bundle-${name}`);
  await run('umoci', ['unpack', '--image', `${layout}:1`, bundle]);
  return join(bundle, 'rootfs');
}

before(async () => {
  work = await labTempDir('context-git');
  localDigest = builtDigest(await buildContext((await writeContext(work)).dir, [], process.env, work));
  const root = join(work, 'served');
  await mkdir(root);
  commits = await makeRepository(root);
  server = await startGitServer({ root, users: { builder: PASSWORD, [TOKEN]: '' } });
  reg = await startRegistry('plain');
});

after(async () => {
  await server?.close();
  await reg?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('git contexts (git http-backend with basic auth)', () => {
  let featureDigest: string;

  test('kaniko form git://…#refs/heads/feature: pushed, the branch content in the image, size and commit reported', async () => {
    const dest = `${reg.host}/contexts/git:feature`;
    const res = await recorded(
      kiln(['build', '--context', `git://${server.host}/repo.git#refs/heads/feature`, '--context-sub-path', 'ctx', '--reproducible', '--destination', dest, '--insecure-registry', reg.host], { env: gitEnv() }),
    );
    featureDigest = builtDigest(res);
    assert.match(res.stdout + res.stderr, new RegExp(`fetched the build context: \\d[^ ]* ?[KMG]?i?B in \\d+\\.\\ds \\(commit ${commits.feature}\\)`));
    const rootfs = await unpacked(dest, 'feature');
    assert.equal(await readFile(join(rootfs, 'notes.txt'), 'utf8'), FEATURE_NOTES);
    assert.equal(await readFile(join(rootfs, 'app/main.js'), 'utf8'), CONTEXT_FILES['app/main.js']);
    await assert.rejects(stat(join(rootfs, 'app/debug.log')), /ENOENT/, '.dockerignore applies to a git context');
    assert.ok(server.requests.some((r) => r.endsWith(' builder')), 'fetched as the GIT_USERNAME user');
  });

  test('#refs/heads/main#COMMIT checks out that commit: the same digest as the same files in a directory (GIT_TOKEN)', async () => {
    const res = await recorded(buildContext(`git://${server.host}/repo.git#refs/heads/main#${commits.first}`, ['--context-sub-path', 'ctx'], gitEnv({ GIT_USERNAME: '', GIT_PASSWORD: '', GIT_TOKEN: TOKEN }), work));
    assert.equal(builtDigest(res), localDigest);
    assert.match(res.stdout + res.stderr, new RegExp(`\\(commit ${commits.first}\\)`));
    assert.ok(server.requests.some((r) => r.endsWith(` ${TOKEN}`)), 'GIT_TOKEN sent as the user name');
  });

  test('a commit id alone (#COMMIT) and BuildKit form http://….git#v1:ctx give the directory digest too', async () => {
    const byId = await recorded(buildContext(`git://${server.host}/repo.git#${commits.first}`, ['--context-sub-path', 'ctx'], gitEnv(), work));
    assert.equal(builtDigest(byId), localDigest);
    const subdir = await recorded(buildContext(`http://${server.host}/repo.git#v1:ctx`, [], gitEnv({ GIT_PULL_METHOD: undefined }), work));
    assert.equal(builtDigest(subdir), localDigest);
  });

  test('--git branch=feature,single-branch=true picks the branch; user:password in the URL works and is never shown', async () => {
    const res = await recorded(
      buildContext(`http://builder:${PASSWORD}@${server.host}/repo.git#:ctx`, ['--git', 'branch=feature,single-branch=true,recurse-submodules=false'], { ...process.env, GIT_USERNAME: undefined, GIT_PASSWORD: undefined }, work),
    );
    assert.equal(builtDigest(res), featureDigest);
    const main = await recorded(buildContext(`http://${server.host}/repo.git#:ctx`, [], gitEnv(), work));
    assert.notEqual(builtDigest(main), featureDigest);
    assert.notEqual(builtDigest(main), localDigest);
  });

  test('wrong or missing credentials, a missing ref, a missing repository, a missing subdirectory: one line each', async () => {
    const spec = `git://${server.host}/repo.git#refs/heads/feature`;
    const wrong = await recorded(buildContext(spec, [], gitEnv({ GIT_PASSWORD: 'not-the-password' }), work));
    assertContextFailure(wrong, spec, new RegExp(`${server.host} refused the git credentials from GIT_USERNAME/GIT_PASSWORD$`));
    assert.doesNotMatch(wrong.stderr, /not-the-password/);
    const wrongToken = await recorded(buildContext(spec, [], gitEnv({ GIT_TOKEN: 'tok-wrong-0000' }), work));
    assertContextFailure(wrongToken, spec, new RegExp(`${server.host} refused the git credentials from GIT_TOKEN$`));
    assert.doesNotMatch(wrongToken.stderr, /tok-wrong-0000/);
    const none = await recorded(buildContext(spec, [], gitEnv({ GIT_USERNAME: undefined, GIT_PASSWORD: undefined }), work));
    assertContextFailure(none, spec, /wants git credentials: set GIT_USERNAME and GIT_PASSWORD, or GIT_TOKEN$/);
    const noRef = `git://${server.host}/repo.git#refs/heads/nope`;
    assertContextFailure(await recorded(buildContext(noRef, [], gitEnv(), work)), noRef, /has no refs\/heads\/nope in the repository/);
    const noRepo = `git://${server.host}/missing.git`;
    assertContextFailure(await recorded(buildContext(noRepo, [], gitEnv(), work)), noRepo, /no git repository there/);
    const noDir = `http://${server.host}/repo.git#main:nowhere`;
    assertContextFailure(await recorded(buildContext(noDir, [], gitEnv(), work)), noDir, /no such directory in the repository$/);
    assertContextFailure(await recorded(buildContext('git://127.0.0.1:1/repo.git', [], gitEnv(), work)), 'git://127.0.0.1:1/repo.git', /cannot reach 127\.0\.0\.1:1/);
  });

  test('no password, token or Authorization value in any output', () => {
    const basic = Buffer.from(`builder:${PASSWORD}`).toString('base64');
    const tokenBasic = Buffer.from(`${TOKEN}:`).toString('base64');
    for (const out of outputs) {
      for (const secret of [PASSWORD, TOKEN, basic, tokenBasic]) assert.ok(!out.includes(secret), `secret in output:\n${out}`);
    }
  });
});
