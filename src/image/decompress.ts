// Decompression of layer bytes by media type. Node 20's zlib has gzip but no zstd; newer Nodes
// have zlib.createZstdDecompress, and fzstd's streaming decoder covers the rest.
import zlib from 'node:zlib';
import { Transform, type TransformCallback } from 'node:stream';
import { Decompress } from 'fzstd';
import { layerCompression } from '../oci/mediatypes.ts';
import { BuilderError } from '../util/errors.ts';

type ZstdFactory = () => Transform;
const nativeZstd = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

/** A zstd decoder stream over fzstd, for Nodes whose zlib lacks zstd. */
class FzstdStream extends Transform {
  private readonly decoder: Decompress;

  constructor(private readonly what: string) {
    super();
    // fzstd may hand out views of its window buffer; Buffer.from copies before it is reused.
    this.decoder = new Decompress((data) => {
      if (data.length > 0) this.push(Buffer.from(data));
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.feed(chunk, false, done);
  }

  override _flush(done: TransformCallback): void {
    this.feed(new Uint8Array(0), true, done);
  }

  private feed(chunk: Uint8Array, final: boolean, done: TransformCallback): void {
    try {
      this.decoder.push(chunk, final);
      done();
    } catch (err) {
      done(new BuilderError('LAYER_INVALID', `${this.what}: invalid zstd data (${(err as Error).message})`, { cause: err }));
    }
  }
}

/** A stream that turns the stored bytes of a layer of `mediaType` into its tar; null for plain tar. */
export function decompressor(mediaType: string, what: string): Transform | null {
  switch (layerCompression(mediaType)) {
    case 'gzip':
      return withMessage(zlib.createGunzip(), what, 'gzip');
    case 'zstd':
      return nativeZstd ? withMessage(nativeZstd(), what, 'zstd') : new FzstdStream(what);
    case 'none':
      return null;
  }
}

/** zlib's errors say "incorrect header check"; say which layer it was. */
function withMessage(stream: Transform, what: string, format: string): Transform {
  const destroy = stream.destroy.bind(stream);
  stream.destroy = (err?: Error | null) => {
    const wrapped =
      err && !(err instanceof BuilderError) && typeof (err as NodeJS.ErrnoException).errno === 'number'
        ? new BuilderError('LAYER_INVALID', `${what}: invalid ${format} data (${err.message})`, { cause: err })
        : err;
    return destroy(wrapped ?? undefined);
  };
  return stream;
}
