import { UserError } from '../core/errors';
import { BACKEND_PREFERENCES, BackendPreference, HostLaunchOptions } from '../protocol/host';

/** The launch options with their defaults applied. */
export interface HostOptions extends HostLaunchOptions {
  readonly backend: BackendPreference;
  /** Jobs run at once; 1 keeps analyses from fighting over one backend and its memory. */
  readonly concurrency: number;
}

/** Reads a backend preference, refusing anything but the known names. */
export function parseBackendPreference(value: string, source: string): BackendPreference {
  const found = BACKEND_PREFERENCES.find((b) => b === value);
  if (!found) throw new UserError(`${source}: unknown backend "${value}"; use one of ${BACKEND_PREFERENCES.join(', ')}.`);
  return found;
}

/**
 * Host options from its command line (`--backend X --tfjs-node DIR --concurrency N`) and the
 * environment (LINEAR_LENS_BACKEND, LINEAR_LENS_TFJS_NODE); the command line wins.
 */
export function parseHostOptions(argv: readonly string[], env: NodeJS.ProcessEnv): HostOptions {
  let backend: BackendPreference = env.LINEAR_LENS_BACKEND ? parseBackendPreference(env.LINEAR_LENS_BACKEND, 'LINEAR_LENS_BACKEND') : 'auto';
  let tfjsNodePath = env.LINEAR_LENS_TFJS_NODE || undefined;
  let concurrency = 1;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UserError(`host: ${flag} needs a value.`);
      return v;
    };
    switch (flag) {
      case '--backend':
        backend = parseBackendPreference(value(), '--backend');
        break;
      case '--tfjs-node':
        tfjsNodePath = value();
        break;
      case '--concurrency': {
        const v = value();
        concurrency = Number(v);
        if (!Number.isInteger(concurrency) || concurrency < 1) throw new UserError(`host: --concurrency must be a positive integer, got "${v}".`);
        break;
      }
      default:
        throw new UserError(`host: unknown argument "${argv[i]}".`);
    }
  }
  return { backend, ...(tfjsNodePath ? { tfjsNodePath } : {}), concurrency };
}
