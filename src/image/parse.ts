// Parsing manifests, indexes and configs from their exact bytes, with checks that name the image
// when the bytes are not something kiln can read.
import { isDigest } from '../oci/digest.ts';
import { MediaType, isIndexMediaType, isManifestMediaType } from '../oci/mediatypes.ts';
import type { Descriptor, ImageConfig, Index, Manifest } from '../oci/types.ts';
import { BuilderError } from '../util/errors.ts';

// There is no MANIFEST_INVALID code; an unreadable manifest is reported as one kiln does not know.
function invalid(what: string, why: string): BuilderError {
  return new BuilderError('MANIFEST_UNKNOWN', `${what}: ${why}`);
}

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(what, 'not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(what, 'not a JSON object');
  return value as Record<string, unknown>;
}

function checkDescriptor(d: unknown, what: string): Descriptor {
  const desc = d as Partial<Descriptor> | null;
  if (!desc || typeof desc.mediaType !== 'string' || typeof desc.digest !== 'string' || !isDigest(desc.digest) || typeof desc.size !== 'number') {
    throw invalid(what, `malformed descriptor ${JSON.stringify(d)}`);
  }
  return desc as Descriptor;
}

/**
 * The media type of manifest bytes: the `mediaType` field, else the one the server declared, else
 * the shape (an index has `manifests`, an image manifest has `config`).
 */
export function detectMediaType(bytes: Buffer, declared: string | undefined, what: string): string {
  const json = parseJson(bytes, what);
  if (json.schemaVersion === 1 || declared === MediaType.DockerManifestV1Signed) {
    throw invalid(what, 'Docker schema 1 manifests are not supported; push the image again with a current tool');
  }
  const own = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const type = own ?? (declared && declared !== 'application/json' ? declared : undefined);
  if (type) return type;
  if (Array.isArray(json.manifests)) return MediaType.OciIndex;
  if (json.config) return MediaType.OciManifest;
  throw invalid(what, 'neither an image manifest nor an index');
}

export function parseManifest(bytes: Buffer, what: string): Manifest {
  const json = parseJson(bytes, what);
  if (json.mediaType !== undefined && !isManifestMediaType(json.mediaType as string)) {
    throw invalid(what, `media type ${String(json.mediaType)} is not an image manifest`);
  }
  if (json.schemaVersion !== 2 || !Array.isArray(json.layers)) throw invalid(what, 'not a schema 2 image manifest');
  checkDescriptor(json.config, what);
  json.layers.forEach((l) => checkDescriptor(l, what));
  return json as unknown as Manifest;
}

export function parseIndex(bytes: Buffer, what: string): Index {
  const json = parseJson(bytes, what);
  if (json.mediaType !== undefined && !isIndexMediaType(json.mediaType as string)) {
    throw invalid(what, `media type ${String(json.mediaType)} is not an image index`);
  }
  if (json.schemaVersion !== 2 || !Array.isArray(json.manifests)) throw invalid(what, 'not a schema 2 image index');
  json.manifests.forEach((m) => checkDescriptor(m, what));
  return json as unknown as Index;
}

export function parseConfig(bytes: Buffer, what: string): ImageConfig {
  const json = parseJson(bytes, what);
  const rootfs = json.rootfs as { diff_ids?: unknown } | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every((d) => typeof d === 'string' && isDigest(d))) {
    throw invalid(what, 'image config has no valid rootfs.diff_ids');
  }
  return json as unknown as ImageConfig;
}
