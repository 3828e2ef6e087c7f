// Derived images: each mutation returns a new lazy Image computed from its base's manifest, config
// and layers. Layer bytes are never touched; only the config and manifest JSON are rebuilt.
import { sha256, type Digest } from '../oci/digest.ts';
import { MediaType } from '../oci/mediatypes.ts';
import type { History, ImageConfig, Manifest } from '../oci/types.ts';
import { layerDescriptor } from './layer.ts';
import { once } from './once.ts';
import type { Image, Layer } from './types.ts';

/** What a manifest is made from; a derived image serializes these into config and manifest bytes. */
export interface ImageParts {
  /** Manifest media type (OCI or Docker schema 2). */
  mediaType: string;
  config: ImageConfig;
  layers: Layer[];
  annotations?: Record<string, string>;
}

export function configMediaType(manifestMediaType: string): string {
  return manifestMediaType === MediaType.DockerManifest ? MediaType.DockerConfig : MediaType.OciConfig;
}

class ComputedImage implements Image {
  constructor(private readonly parts: () => Promise<ImageParts>) {}

  private readonly built = once(async () => {
    const parts = await this.parts();
    const rawConfig = Buffer.from(JSON.stringify(parts.config));
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: parts.mediaType,
      config: { mediaType: configMediaType(parts.mediaType), digest: sha256(rawConfig), size: rawConfig.length },
      layers: parts.layers.map(layerDescriptor),
    };
    // Docker schema 2 has no annotations.
    if (parts.annotations && Object.keys(parts.annotations).length && parts.mediaType !== MediaType.DockerManifest) {
      manifest.annotations = parts.annotations;
    }
    const rawManifest = Buffer.from(JSON.stringify(manifest));
    return { parts, rawConfig, manifest, rawManifest };
  });

  async rawManifest(): Promise<Buffer> {
    return (await this.built()).rawManifest;
  }
  async manifest(): Promise<Manifest> {
    return (await this.built()).manifest;
  }
  async mediaType(): Promise<string> {
    return (await this.built()).parts.mediaType;
  }
  async digest(): Promise<Digest> {
    return sha256((await this.built()).rawManifest);
  }
  async rawConfig(): Promise<Buffer> {
    return (await this.built()).rawConfig;
  }
  async config(): Promise<ImageConfig> {
    return structuredClone((await this.built()).parts.config);
  }
  async layers(): Promise<Layer[]> {
    return [...(await this.built()).parts.layers];
  }
}

/** A lazy image made from parts computed on first use. */
export function imageFromParts(compute: () => Promise<ImageParts>): Image {
  return new ComputedImage(once(compute));
}

/** The parts of an existing image, with a config the caller may change freely. */
export async function partsOf(image: Image): Promise<ImageParts> {
  const [mediaType, config, layers, manifest] = await Promise.all([image.mediaType(), image.config(), image.layers(), image.manifest()]);
  return { mediaType, config: structuredClone(config), layers, annotations: manifest.annotations };
}

export function mutate(base: Image, change: (parts: ImageParts) => ImageParts | Promise<ImageParts>): Image {
  return imageFromParts(async () => change(await partsOf(base)));
}

/** Adds layers on top, with their diffIds in rootfs and one history entry each. */
export function appendLayers(base: Image, layers: Layer[], history: History[] = []): Image {
  return mutate(base, (parts) => {
    const config = parts.config;
    config.rootfs = { type: 'layers', diff_ids: [...config.rootfs.diff_ids, ...layers.map((l) => l.diffId)] };
    config.history = [...(config.history ?? []), ...layers.map((_, i) => layerHistory(history[i]))];
    return { ...parts, layers: [...parts.layers, ...layers] };
  });
}

/** A history entry for a real layer: whatever was given, minus a stray empty_layer flag. */
function layerHistory(entry: History | undefined): History {
  const { empty_layer: _ignored, ...rest } = entry ?? {};
  return rest;
}

/** Replaces the config with what `change` returns; rootfs stays tied to the layers. */
export function withConfig(base: Image, change: (config: ImageConfig) => ImageConfig): Image {
  return mutate(base, (parts) => ({ ...parts, config: { ...change(parts.config), rootfs: parts.config.rootfs } }));
}

export function withCreatedAt(base: Image, created: Date): Image {
  return withConfig(base, (config) => ({ ...config, created: created.toISOString() }));
}
