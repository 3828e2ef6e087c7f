// The build's result as JSON for the CI faces (--metadata-file): buildx's metadata keys, so a
// docker/build-push-action user finds the names they know, and kiln's own report of the steps,
// which the GitHub Action's summary and the Buildkite annotation are made from. Written on failure
// too, so a face can point at the failing Dockerfile line without reading the log.
import { writeFile, rename } from 'node:fs/promises';
import type { Descriptor } from '../oci/types.ts';
import { describeError, fromSystemError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';
import type { PushedDestination } from './outputs.ts';
import type { Progress } from './progress.ts';

export const REPORT_VERSION = 1;

export interface BuiltImage {
  descriptor: Descriptor;
  /** Absent for a multi-platform build, whose descriptor is an index's. */
  configDigest?: string;
  /** One platform, or several comma separated. */
  platform: string;
  /** Config plus layer bytes, as stored. */
  size: number;
  layers: number;
  names: string[];
  pushed: PushedDestination[];
}

export interface ReportStep {
  stage: string;
  instruction: string;
  file: string;
  line: number;
  cached: boolean;
  seconds: number;
}

export interface BuildReport {
  version: number;
  success: boolean;
  seconds: number;
  platform?: string;
  size?: number;
  layers?: number;
  images: { name: string; digest: string }[];
  steps: ReportStep[];
  error?: { message: string; file?: string; line?: number; instruction?: string };
}

export interface BuildMetadata {
  'containerimage.digest'?: string;
  'containerimage.config.digest'?: string;
  'containerimage.descriptor'?: Descriptor;
  'image.name'?: string;
  'kiln.report': BuildReport;
}

export function buildMetadata(file: string, progress: Progress, outcome: { image: BuiltImage } | { error: unknown }): BuildMetadata {
  const steps = progress.steps.map((s) => ({ stage: s.stage, instruction: s.text, file, line: s.line, cached: s.cached, seconds: round(s.seconds) }));
  const report: BuildReport = { version: REPORT_VERSION, success: 'image' in outcome, seconds: round(progress.elapsedSeconds), images: [], steps };
  if ('error' in outcome) {
    const failed = progress.failed;
    report.error = { message: redact(describeError(outcome.error)), ...(failed ? { file, line: failed.line, instruction: failed.text } : {}) };
    return { 'kiln.report': report };
  }
  const { image } = outcome;
  Object.assign(report, { platform: image.platform, size: image.size, layers: image.layers });
  report.images = image.pushed.map((p) => ({ name: p.reference, digest: p.digest }));
  return {
    'containerimage.digest': image.descriptor.digest,
    'containerimage.config.digest': image.configDigest,
    'containerimage.descriptor': image.descriptor,
    ...(image.names.length ? { 'image.name': image.names.join(',') } : {}),
    'kiln.report': report,
  };
}

/** Written under a temp name and renamed, so a reader never sees half a file. */
export async function writeMetadataFile(path: string, metadata: BuildMetadata): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, JSON.stringify(metadata, null, 2) + '\n');
    await rename(tmp, path);
  } catch (err) {
    throw fromSystemError(err, `--metadata-file ${path}`);
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
