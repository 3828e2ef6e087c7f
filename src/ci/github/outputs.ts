// What the step hands on, from the build's metadata file: build-push-action's outputs (digest,
// imageid, metadata in buildx's keys, images as NAME@DIGEST lines) so later steps written for it
// work, and a failed build's annotation.
import { relative, resolve } from 'node:path';
import type { BuildMetadata } from '../../executor/build-report.ts';

export interface ActionOutputs {
  digest: string;
  imageid: string;
  metadata: string;
  images: string;
}

/** Undefined when nothing was built (a failed build's file has no image). */
export function actionOutputs(metadata: BuildMetadata): ActionOutputs | undefined {
  const digest = metadata['containerimage.digest'];
  if (!digest) return undefined;
  // kiln.report is kiln's own; buildx's metadata output carries only its keys.
  const buildx = Object.fromEntries(Object.entries(metadata).filter(([key]) => key !== 'kiln.report'));
  return {
    digest,
    imageid: metadata['containerimage.config.digest'] ?? '',
    metadata: JSON.stringify(buildx),
    images: metadata['kiln.report'].images.map((img) => `${img.name}@${img.digest}`).join('\n'),
  };
}

export interface FailureAnnotation {
  message: string;
  /** core.error's properties: the Dockerfile as a path in the repository, and its line. */
  file?: string;
  startLine?: number;
}

/**
 * The error annotation of a failed build, on the failing Dockerfile line. The report names the
 * Dockerfile as --dockerfile did (relative to the context); GitHub wants it relative to the
 * workspace, which a local context is resolved against.
 */
export function failureAnnotation(metadata: BuildMetadata, context: string, workspace: string): FailureAnnotation | undefined {
  const error = metadata['kiln.report'].error;
  if (!error) return undefined;
  if (!error.file || !error.line) return { message: error.message };
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(context);
  const file = remote ? error.file : relative(workspace, resolve(workspace, context, error.file));
  return { message: error.message, file, startLine: error.line };
}
