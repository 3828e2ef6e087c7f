// How every lab server listens and stops: a port the kernel picks on 127.0.0.1, and a stop that
// cuts keep-alive connections first, so that a test's after() never waits on an idle client.
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

type LabServer = HttpServer | HttpsServer;

/** Listens on 127.0.0.1 at a free port and returns the port. */
export async function listenLoopback(server: LabServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server (if there is one) with its open connections. */
export async function closeServer(server: LabServer | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
