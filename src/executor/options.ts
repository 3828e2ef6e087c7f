// Everything a build needs to know, as typed fields. Every face (CLI flags, GitHub Action inputs,
// Buildkite plugin settings) maps its input onto this shape and nothing more.
import type { Level, LogFormat } from '../util/log.ts';

export type SnapshotMode = 'full' | 'redo' | 'time';
export type Isolation = 'chroot' | 'host';
export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** Where a `--secret` value comes from: a file or an environment variable, read at build time. */
export type SecretSource = { id: string; src: string } | { id: string; env: string };

export interface BuildOptions {
  /** Build context: a local path, dir://, tar://, tar://stdin, s3://, gs://, https:// (Azure) or git://. */
  context: string;
  /** A sub directory of the context to build from. */
  contextSubPath?: string;
  /** Path of the Dockerfile (relative to the context when not absolute), or "-" for stdin. */
  dockerfile: string;
  /** Image references to push to. */
  destinations: string[];
  /** --build-arg values; `--build-arg NAME` alone has taken NAME's value from the environment. */
  buildArgs: Record<string, string>;
  /** --label values applied to the final image. */
  labels: Record<string, string>;
  target?: string;
  skipUnusedStages: boolean;
  /** os/arch[/variant] to build for, several comma separated (one image each, pushed as an index); the host's when unset. */
  customPlatform?: string;

  dryRun: boolean;
  /** Push even when it would not happen by default (docker-style --push). */
  push: boolean;
  noPush: boolean;
  pushRetry: number;
  tarPath?: string;
  ociLayoutPath?: string;
  digestFile?: string;
  imageNameWithDigestFile?: string;
  imageNameTagWithDigestFile?: string;
  /** buildx's --metadata-file: digests and descriptor, plus kiln's build report (executor/build-report.ts). */
  metadataFile?: string;

  cache: boolean;
  cacheDir: string;
  /** --base-store: where extracted base images are kept between builds (chroot isolation with overlayfs). */
  baseStore?: string;
  cacheRepo?: string;
  /** --cache-max-size in bytes, for a dir:PATH layer cache. */
  cacheMaxBytes?: number;
  cacheCopyLayers: boolean;
  cacheRunLayers: boolean;
  /** Milliseconds a cached layer stays valid. */
  cacheTtlMs: number;
  compressedCaching: boolean;

  insecure: boolean;
  insecurePull: boolean;
  insecureRegistries: string[];
  skipTlsVerify: boolean;
  skipTlsVerifyPull: boolean;
  skipTlsVerifyRegistries: string[];
  /** Registry host -> path of a CA certificate for it. */
  registryCertificates: Record<string, string>;
  registryMirrors: string[];
  /** --registry-address: registry host -> address:port to connect to. */
  registryAddresses: Record<string, string>;
  /** --registry-auth: HOST[/PATH]=USER:env:VAR or …:file:PATH (docs/credentials.md). */
  registryAuth?: string[];
  /** --credential-helpers as given; undefined selects every built-in source. */
  credentialHelpers?: string;

  snapshotMode: SnapshotMode;
  singleSnapshot: boolean;
  reproducible: boolean;
  useNewRun: boolean;
  ignoreVarRun: boolean;
  ignorePaths: string[];
  imageFsExtractRetry: number;
  cleanup: boolean;
  force: boolean;
  /** Secrets RUN --mount=type=secret may read; never written into the image or logs. */
  secrets: SecretSource[];
  compression: LayerCompression;
  compressionLevel?: number;
  /** How RUN is isolated; chosen from the machine when unset. */
  isolation?: Isolation;
  /** Options for cloning a git:// context: branch=,single-branch=,recurse-submodules=. */
  git: string;

  verbosity: Level;
  logFormat: LogFormat;
  logTimestamp: boolean;
}
