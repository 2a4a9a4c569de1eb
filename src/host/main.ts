/**
 * The compute host process: forked by the extension (or a test), it speaks JSON-RPC over Node IPC
 * and runs core analyses off the editor's thread, so a crash in the math cannot take the editor down.
 * Arguments: --backend auto|tensorflow|wasm|cpu, --tfjs-node DIR, --concurrency N (see options.ts).
 */
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node';
import { isUserError } from '../core/errors';
import { HostOptions, parseHostOptions } from './options';
import { HostServer } from './server';

const log = (line: string): void => void process.stderr.write(`[linear-lens host ${process.pid}] ${line}\n`);

function main(): void {
  if (!process.send) {
    log('must be started with an IPC channel (child_process.fork); the `linear-lens` CLI runs analyses directly.');
    process.exit(2);
  }
  let opts: HostOptions;
  try {
    opts = parseHostOptions(process.argv.slice(2), process.env);
  } catch (e) {
    log(isUserError(e) ? e.message : String(e));
    process.exit(2);
  }
  const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
  const server = new HostServer(connection, { ...opts, log });
  const stop = (code: number): void => {
    server.dispose();
    connection.dispose();
    process.exit(code);
  };
  // The parent is gone (editor closed or crashed): nothing can read our answers any more.
  process.on('disconnect', () => stop(0));
  connection.onClose(() => stop(0));
  // A stray rejection in one job must not end the host; the request itself already answered.
  process.on('unhandledRejection', (e) => log(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  server.shutdownRequested.then(() => {
    // Let the reply to host/shutdown leave through the IPC channel before exiting.
    setTimeout(() => stop(0), 50);
  });
  server.listen();
}

main();
