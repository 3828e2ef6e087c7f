// `kiln build` flags in kaniko's forms, mapped onto BuildOptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../../src/cli/flags.ts';
import { buildFlags, toBuildOptions } from '../../../src/cli/build-flags.ts';
import type { BuildOptions } from '../../../src/executor/options.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

function options(argv: string[], env: NodeJS.ProcessEnv = {}): BuildOptions {
  return toBuildOptions(parseArgs(argv, buildFlags), env);
}

test('defaults are kaniko\'s', () => {
  const o = options([]);
  assert.deepEqual(
    {
      context: o.context, dockerfile: o.dockerfile, cacheDir: o.cacheDir, cacheTtlMs: o.cacheTtlMs, cacheRunLayers: o.cacheRunLayers,
      compressedCaching: o.compressedCaching, ignoreVarRun: o.ignoreVarRun, snapshotMode: o.snapshotMode, verbosity: o.verbosity,
      logFormat: o.logFormat, pushRetry: o.pushRetry, git: o.git, cache: o.cache, noPush: o.noPush, dryRun: o.dryRun,
    },
    {
      context: '.', dockerfile: 'Dockerfile', cacheDir: '/cache', cacheTtlMs: 336 * 3600 * 1000, cacheRunLayers: true,
      compressedCaching: true, ignoreVarRun: true, snapshotMode: 'full', verbosity: 'info',
      logFormat: 'color', pushRetry: 0, git: 'branch=,single-branch=false,recurse-submodules=false', cache: false, noPush: false, dryRun: false,
    },
  );
});

const forms: [string, string[], Partial<BuildOptions>][] = [
  ['--flag=value', ['--dockerfile=build/Dockerfile'], { dockerfile: 'build/Dockerfile' }],
  ['--flag value', ['--dockerfile', 'build/Dockerfile'], { dockerfile: 'build/Dockerfile' }],
  ['-f short alias', ['-f', 'x.Dockerfile'], { dockerfile: 'x.Dockerfile' }],
  ['--file alias', ['--file=x.Dockerfile'], { dockerfile: 'x.Dockerfile' }],
  ['repeated --destination and -t', ['--destination=r/a:1', '-t', 'r/a:2', '--tag', 'r/a:3', '-d', 'r/a:4'], { destinations: ['r/a:1', 'r/a:2', 'r/a:3', 'r/a:4'] }],
  ['repeated --build-arg', ['--build-arg', 'A=1', '--build-arg=B=two=2', '--build-arg', 'C='], { buildArgs: { A: '1', B: 'two=2', C: '' } }],
  ['--build-arg NAME from the environment', ['--build-arg', 'FROM_ENV', '--build-arg', 'MISSING'], { buildArgs: { FROM_ENV: 'yes' } }],
  ['--cache=true', ['--cache=true'], { cache: true }],
  ['--cache alone', ['--cache'], { cache: true }],
  ['--cache-run-layers=false', ['--cache-run-layers=false'], { cacheRunLayers: false }],
  ['--snapshotMode=redo', ['--snapshotMode=redo'], { snapshotMode: 'redo' }],
  ['--snapshot-mode time', ['--snapshot-mode', 'time'], { snapshotMode: 'time' }],
  ['--customPlatform', ['--customPlatform=linux/arm/v7'], { customPlatform: 'linux/arm/v7' }],
  ['--custom-platform', ['--custom-platform', 'linux/arm64'], { customPlatform: 'linux/arm64' }],
  ['--platform alias', ['--platform=linux/amd64'], { customPlatform: 'linux/amd64' }],
  ['--platform repeated', ['--platform=linux/amd64', '--platform', 'linux/arm64'], { customPlatform: 'linux/amd64,linux/arm64' }],
  ['context positional', ['./app'], { context: './app' }],
  ['-c context', ['-c', 'tar://stdin'], { context: 'tar://stdin' }],
  ['same context twice is fine', ['--context=dir:///w', 'dir:///w'], { context: 'dir:///w' }],
  ['--label repeated', ['--label', 'a=1', '--label=b=x=y'], { labels: { a: '1', b: 'x=y' } }],
  ['--registry-certificate', ['--registry-certificate', 'my.registry.url=/path/to/the/certificate.cert'], { registryCertificates: { 'my.registry.url': '/path/to/the/certificate.cert' } }],
  ['--registry-mirror repeated', ['--registry-mirror=mirror.gcr.io', '--registry-mirror', '192.168.0.1:5000'], { registryMirrors: ['mirror.gcr.io', '192.168.0.1:5000'] }],
  ['--insecure-registry and --skip-tls-verify-registry', ['--insecure-registry=a', '--skip-tls-verify-registry', 'b'], { insecureRegistries: ['a'], skipTlsVerifyRegistries: ['b'] }],
  ['--cache-ttl', ['--cache-ttl=6h'], { cacheTtlMs: 6 * 3600 * 1000 }],
  ['--push-retry and --image-fs-extract-retry', ['--push-retry=3', '--image-fs-extract-retry', '2'], { pushRetry: 3, imageFsExtractRetry: 2 }],
  ['--tarPath alias', ['--tarPath=/out/image.tar'], { tarPath: '/out/image.tar' }],
  ['--target and --skip-unused-stages', ['--target=final', '--skip-unused-stages'], { target: 'final', skipUnusedStages: true }],
  ['--no-push, --push, --dry-run', ['--no-push', '--push=false', '--dry-run'], { noPush: true, push: false, dryRun: true }],
  ['--isolation', ['--isolation=host'], { isolation: 'host' }],
  ['-v verbosity', ['-v', 'debug', '--log-format=json', '--log-timestamp=true'], { verbosity: 'debug', logFormat: 'json', logTimestamp: true }],
  ['single-dash long flag (Go style)', ['-dockerfile=D'], { dockerfile: 'D' }],
  ['--ignore-path repeated', ['--ignore-path=/a', '--ignore-path', '/b'], { ignorePaths: ['/a', '/b'] }],
  ['outputs', ['--digest-file=/d', '--oci-layout-path=/o', '--image-name-with-digest-file=/n', '--image-name-tag-with-digest-file=/t'], { digestFile: '/d', ociLayoutPath: '/o', imageNameWithDigestFile: '/n', imageNameTagWithDigestFile: '/t' }],
  ['bool flags of kaniko', ['--cleanup', '--force', '--reproducible', '--single-snapshot', '--use-new-run', '--insecure', '--insecure-pull', '--skip-tls-verify', '--skip-tls-verify-pull', '--cache-copy-layers', '--compressed-caching=false'], { cleanup: true, force: true, reproducible: true, singleSnapshot: true, useNewRun: true, insecure: true, insecurePull: true, skipTlsVerify: true, skipTlsVerifyPull: true, cacheCopyLayers: true, compressedCaching: false }],
  ['--context-sub-path, --cache-repo, --git', ['--context-sub-path=svc', '--cache-repo=r/cache', '--git=branch=main,single-branch=true'], { contextSubPath: 'svc', cacheRepo: 'r/cache', git: 'branch=main,single-branch=true' }],
];

for (const [name, argv, expected] of forms) {
  test(`flags: ${name}`, () => {
    const o = options(argv, { FROM_ENV: 'yes' }) as unknown as Record<string, unknown>;
    const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, o[k]]));
    assert.deepEqual(picked, expected);
  });
}

const usageErrors: [string[], string][] = [
  [['--snapshotMode=fast'], 'invalid value "fast" for flag --snapshot-mode: expected full, redo, time'],
  [['--cache=maybe'], 'invalid value "maybe" for flag --cache: expected true or false'],
  [['--verbosity=loud'], 'invalid value "loud" for flag --verbosity: expected panic, fatal, error, warn, info, debug, trace'],
  [['--log-format=xml'], 'invalid value "xml" for flag --log-format: expected text, color, json'],
  [['--isolation=vm'], 'invalid value "vm" for flag --isolation: expected chroot, host'],
  [['--cache-ttl=two weeks'], 'invalid value "two weeks" for flag --cache-ttl: expected a duration such as 336h or 30m'],
  [['--push-retry=x'], 'invalid value "x" for flag --push-retry: expected a whole number'],
  [['--push-retry=-1'], 'invalid value "-1" for flag --push-retry: cannot be negative'],
  [['--label', 'novalue'], 'invalid value "novalue" for flag --label: expected KEY=VALUE'],
  [['a', 'b'], 'kiln build takes one CONTEXT argument, got 2: a b'],
  [['--context=x', 'y'], 'the context is given twice: "y" and --context=x'],
  [['--destinaton=r/a'], 'unknown flag: --destinaton (did you mean --destination?)'],
  [['--dockerfile'], 'flag --dockerfile needs a value'],
];

for (const [argv, message] of usageErrors) {
  test(`flags error: ${argv.join(' ')}`, () => {
    assert.throws(() => options(argv), (err: unknown) => isBuilderError(err, 'USAGE') && err.message === message);
  });
}

test('every flag of kaniko\'s "Additional Flags" list is accepted', () => {
  const kaniko = [
    'build-arg', 'cache', 'cache-dir', 'cache-repo', 'cache-copy-layers', 'cache-run-layers', 'cache-ttl', 'cleanup',
    'compressed-caching', 'context-sub-path', 'customPlatform', 'digest-file', 'dockerfile', 'force', 'git',
    'image-name-with-digest-file', 'image-name-tag-with-digest-file', 'insecure', 'insecure-pull', 'insecure-registry',
    'label', 'log-format', 'log-timestamp', 'no-push', 'oci-layout-path', 'push-retry', 'registry-certificate',
    'registry-mirror', 'reproducible', 'single-snapshot', 'skip-tls-verify', 'skip-tls-verify-pull',
    'skip-tls-verify-registry', 'skip-unused-stages', 'snapshotMode', 'tar-path', 'target', 'use-new-run', 'verbosity',
    'ignore-var-run', 'ignore-path', 'image-fs-extract-retry', 'destination', 'context',
  ];
  const known = new Set(buildFlags.flatMap((f) => [f.name, ...(f.aliases ?? [])]));
  assert.deepEqual(kaniko.filter((k) => !known.has(k)), []);
});
