// zstd decompression as a stream. Node 20's zlib has no zstd; newer Nodes have
// zlib.createZstdDecompress, and fzstd's streaming decoder covers the rest.
import zlib from 'node:zlib';
import { Transform, type TransformCallback } from 'node:stream';
import { Decompress } from 'fzstd';
import { BuilderError, type ErrorCode } from './errors.ts';

type ZstdFactory = () => Transform;
const nativeZstd = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

class FzstdStream extends Transform {
  private readonly decoder: Decompress;

  constructor(
    private readonly what: string,
    private readonly code: ErrorCode,
  ) {
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
      done(new BuilderError(this.code, `${this.what}: invalid zstd data (${(err as Error).message})`, { cause: err }));
    }
  }
}

/** A zstd decoder; its errors name `what` and carry `code`. */
export function zstdDecompressor(what: string, code: ErrorCode): Transform {
  return nativeZstd ? nativeZstd() : new FzstdStream(what, code);
}
