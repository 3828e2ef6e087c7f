// Azure blob contexts, https://ACCOUNT.blob.core.windows.net/CONTAINER/path.tar.gz (and the
// sovereign clouds' suffixes), read as kaniko reads them: @azure/storage-blob with a shared key,
// AZURE_STORAGE_ACCESS_KEY for the account the URL names. AZURE_STORAGE_CONNECTION_STRING, Azure's
// own convention, may name another endpoint (BlobEndpoint=…, e.g. Azurite or a private endpoint)
// and may carry the key (AccountKey=) or a SAS (SharedAccessSignature=); it must be for the URL's
// account. The download's body is handed on as it arrives.
import { namedExports } from '../util/package-import.ts';
import type { Readable } from 'node:stream';
import { BuilderError } from '../util/errors.ts';
import { redact, registerSecret } from '../util/redact.ts';

/** The blob endpoints' host suffixes kaniko recognises (public, China, Germany, US Government clouds). */
const BLOB_HOST = /^[a-z0-9]{3,24}\.blob\.core\.(?:windows\.net|chinacloudapi\.cn|cloudapi\.de|usgovcloudapi\.net)$/i;

/** Whether a URL names an Azure blob as kaniko's context does (a SAS in the query stays a plain https:// download). */
export function isAzureBlobUrl(value: string): boolean {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  return url?.protocol === 'https:' && url.search === '' && BLOB_HOST.test(url.hostname);
}

export async function openAzureBlob(url: string, spec: string, env: NodeJS.ProcessEnv = process.env): Promise<{ stream: Readable; size?: number }> {
  const where = `--context=${spec}`;
  const target = new URL(url);
  const account = target.hostname.split('.')[0].toLowerCase();
  const [container = '', ...path] = target.pathname.slice(1).split('/');
  const blob = decodeURIComponent(path.join('/'));
  if (container === '' || blob === '') {
    throw new BuilderError('CONTEXT_INVALID', `${where}: an Azure blob context needs a container and a blob (https://ACCOUNT.blob.core.windows.net/CONTAINER/path/to/context.tar.gz)`);
  }
  // Loaded on use: the SDK is large and most builds never read an Azure blob.
  const { BlobServiceClient } = namedExports(await import('@azure/storage-blob'));
  let service;
  try {
    // Refused credentials and missing blobs are answers, not worth the SDK's retries with back-off.
    service = BlobServiceClient.fromConnectionString(connectionString(target, account, where, env), { retryOptions: { maxTries: 2, retryDelayInMs: 500 } });
  } catch (err) {
    if (err instanceof BuilderError) throw err;
    throw new BuilderError('CREDENTIALS', redact(`${where}: AZURE_STORAGE_CONNECTION_STRING is not usable: ${(err as Error).message}`), { cause: err });
  }
  if (service.accountName.toLowerCase() !== account) {
    throw new BuilderError('CREDENTIALS', `${where}: AZURE_STORAGE_CONNECTION_STRING is for storage account ${service.accountName}, not ${account}`);
  }
  try {
    const response = await service.getContainerClient(container).getBlobClient(blob).download();
    if (!response.readableStreamBody) throw new BuilderError('CONTEXT_INVALID', `${where}: Azure returned no body for ${container}/${blob}`);
    return { stream: response.readableStreamBody as Readable, size: response.contentLength };
  } catch (err) {
    throw azureFailure(err, account, container, blob, where);
  }
}

/**
 * The connection string the client is made from: AZURE_STORAGE_CONNECTION_STRING or the URL's own
 * endpoint, with the URL's account and AZURE_STORAGE_ACCESS_KEY filled in where it names none.
 * Every credential in it is registered as a secret first.
 */
function connectionString(target: URL, account: string, where: string, env: NodeJS.ProcessEnv): string {
  registerSecret(env.AZURE_STORAGE_CONNECTION_STRING);
  const parts = (env.AZURE_STORAGE_CONNECTION_STRING ?? `BlobEndpoint=${target.origin}`).split(';').filter((part) => part.trim() !== '');
  const fields = new Map(parts.map((part) => [part.slice(0, part.indexOf('=')).trim(), part.slice(part.indexOf('=') + 1).trim()]));
  registerSecret(fields.get('AccountKey'));
  registerSecret(fields.get('SharedAccessSignature'));
  if (!fields.has('AccountName')) parts.push(`AccountName=${account}`);
  // The SDK reads a string as an account's (key) one only when it has DefaultEndpointsProtocol;
  // a BlobEndpoint, where given, still decides the scheme.
  if (!fields.has('DefaultEndpointsProtocol') && !fields.has('SharedAccessSignature')) parts.push('DefaultEndpointsProtocol=https');
  if (!fields.has('AccountKey') && !fields.has('SharedAccessSignature')) {
    const key = env.AZURE_STORAGE_ACCESS_KEY;
    if (!key) throw new BuilderError('CREDENTIALS', `${where}: AZURE_STORAGE_ACCESS_KEY is not set (the storage account's key; or AZURE_STORAGE_CONNECTION_STRING)`);
    registerSecret(key);
    parts.push(`AccountKey=${key}`);
  }
  return parts.join(';');
}

function azureFailure(err: unknown, account: string, container: string, blob: string, where: string): BuilderError {
  if (err instanceof BuilderError) return err;
  const status = (err as { statusCode?: number }).statusCode;
  const code = (err as { code?: string }).code ?? '';
  const message = redact((err as Error).message.split('\n')[0]);
  const opts = { cause: err };
  if (code === 'ContainerNotFound') return new BuilderError('CONTEXT_NOT_FOUND', `${where}: no container ${container} in Azure storage account ${account}`, opts);
  if (code === 'BlobNotFound' || status === 404) return new BuilderError('CONTEXT_NOT_FOUND', `${where}: no blob ${blob} in Azure container ${container}`, opts);
  if (status === 401 || status === 403) return new BuilderError('CREDENTIALS', `${where}: Azure refused access to ${container}/${blob} (${status} ${code || message})`, opts);
  if (status !== undefined) return new BuilderError('CONTEXT_INVALID', `${where}: Azure answered ${status} ${code} for ${container}/${blob}: ${message}`, opts);
  return new BuilderError('CONTEXT_NOT_FOUND', `${where}: cannot reach Azure blob storage for ${account}: ${message}`, opts);
}
