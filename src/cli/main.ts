/** The `linear-lens` command: analyses of trained networks from a terminal, a script or a cluster job. */
import { runCli } from './run';

runCli(process.argv.slice(2), {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
}).then(
  (code) => {
    // exitCode rather than exit(): stdout may still be draining into a pipe.
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`linear-lens: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
