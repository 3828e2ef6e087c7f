// Commit: the image a build produces, from the base image, the layers its steps made and their
// history. The result is a lazy Image that every sink (registry, layout, tarball) reads.
import { MediaType, layerCompression } from '../oci/mediatypes.ts';
import type { ContainerConfig, History, ImageConfig, Platform } from '../oci/types.ts';
import { BuilderError } from '../util/errors.ts';
import { isForeignLayer, withLayerMediaType } from './layer.ts';
import { imageFromParts, partsOf, type ImageParts } from './mutate.ts';
import type { Image, Layer } from './types.ts';

export type MediaTypeStyle = 'oci' | 'docker';

export interface BuildStep {
  /** The layer the step made; none for a step that changed only metadata (empty_layer history). */
  layer?: Layer;
  history: History;
}

export interface BuildImageOptions {
  base: Image | 'scratch';
  platform: Platform;
  steps: BuildStep[];
  /** The container config of the result (Env, Cmd, Entrypoint, …); it replaces the base's. */
  config: ContainerConfig;
  /** Creation time of the image and the default time of its new history entries. */
  created: Date;
  author?: string;
  /**
   * Manifest vocabulary. By default it follows the base, as kaniko and go-containerregistry do:
   * a Docker schema 2 base gives a Docker manifest whose new layers use the Docker gzip layer
   * type (there is no Docker zstd type); an OCI base, or scratch, gives an OCI manifest.
   */
  mediaTypeStyle?: MediaTypeStyle;
}

function scratchParts(style: MediaTypeStyle): ImageParts {
  return {
    mediaType: style === 'docker' ? MediaType.DockerManifest : MediaType.OciManifest,
    config: { architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] }, history: [] },
    layers: [],
  };
}

/** A layer in Docker schema 2 terms; only gzip (and foreign gzip) layers have Docker types. */
function asDockerLayer(layer: Layer): Layer {
  if (isForeignLayer(layer)) return withLayerMediaType(layer, MediaType.DockerForeignLayerGzip);
  if (layerCompression(layer.mediaType) === 'gzip') return withLayerMediaType(layer, MediaType.DockerLayerGzip);
  throw new BuilderError('LAYER_INVALID', `layer ${layer.digest} (${layer.mediaType}) cannot go in a Docker schema 2 image: use the OCI format for zstd or uncompressed layers`);
}

/** A new layer in OCI terms: gzip stays gzip, zstd stays zstd. */
function asOciLayer(layer: Layer): Layer {
  return layer.mediaType === MediaType.DockerLayerGzip ? withLayerMediaType(layer, MediaType.OciLayerGzip) : layer;
}

export function buildImage(opts: BuildImageOptions): Image {
  return imageFromParts(async () => {
    const baseType = opts.base === 'scratch' ? undefined : await opts.base.mediaType();
    const style: MediaTypeStyle = opts.mediaTypeStyle ?? (baseType === MediaType.DockerManifest ? 'docker' : 'oci');
    const base = opts.base === 'scratch' ? scratchParts(style) : await partsOf(opts.base);
    const created = opts.created.toISOString();

    // Base layers keep their media type, unless a Docker manifest is asked for: it can only name
    // Docker layer types, and gzip bytes are the same under either name.
    const layers = style === 'docker' ? base.layers.map(asDockerLayer) : [...base.layers];
    const history = [...(base.config.history ?? [])];
    for (const step of opts.steps) {
      if (step.layer) {
        layers.push(style === 'docker' ? asDockerLayer(step.layer) : asOciLayer(step.layer));
        const { empty_layer: _ignored, ...entry } = step.history;
        history.push({ created, ...entry });
      } else {
        history.push({ created, ...step.history, empty_layer: true });
      }
    }

    const config: ImageConfig = {
      ...base.config,
      created,
      architecture: opts.platform.architecture,
      os: opts.platform.os,
      config: opts.config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history,
    };
    setOrDelete(config, 'author', opts.author ?? base.config.author);
    setOrDelete(config, 'variant', opts.platform.variant);
    setOrDelete(config, 'os.version', opts.platform['os.version']);
    // The base's manifest annotations describe the base, not this image.
    return { mediaType: style === 'docker' ? MediaType.DockerManifest : MediaType.OciManifest, config, layers };
  });
}

function setOrDelete(config: ImageConfig, key: 'author' | 'variant' | 'os.version', value: string | undefined): void {
  if (value) config[key] = value;
  else delete config[key];
}
