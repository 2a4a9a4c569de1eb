import { PassThrough } from 'node:stream';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { HostServer, HostServerOptions } from './server';

/** A host serving in this process over a pair of in-memory streams, and the client end of it. */
export interface InProcessHost {
  readonly client: MessageConnection;
  readonly server: HostServer;
  /** Stops the server and closes both ends. */
  dispose(): void;
}

/** Starts a HostServer in-process: same protocol and code path as the forked host, without a child. */
export function startInProcessHost(opts: HostServerOptions = {}): InProcessHost {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const serverConn = createMessageConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  const server = new HostServer(serverConn, opts);
  server.listen();
  client.listen();
  return {
    client,
    server,
    dispose: () => {
      server.dispose();
      client.dispose();
      serverConn.dispose();
      toServer.end();
      toClient.end();
    },
  };
}
